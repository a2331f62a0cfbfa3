import {
  ANY_TENANT,
  auditMetadataOf,
  AUTHORITY_TENANT,
  OrchestratorError,
  SCOPES,
  type ClientChangeContext,
  type OAuthClient,
  type RequestContext,
  type Scope,
} from '@stella-orch/core';
import type { FastifyInstance } from 'fastify';
import type { Authority } from '../authority/authority.js';
import { newTokenKey } from '../authority/jwt-token-issuer.js';
import { generateClientSecret } from '../authority/scrypt-secret-hasher.js';
import { contextOf } from '../request-context.js';
import { withProblems } from '../schemas.js';

/** A client as the API shows it: never its secret or the secret's hash. */
export function clientView(client: OAuthClient): Record<string, unknown> {
  return {
    clientId: client.clientId,
    displayName: client.displayName,
    scopes: client.allowedScopes,
    tenants: client.allowedTenants,
    disabled: client.disabled,
    source: client.source,
    createdAt: client.createdAt,
    secretRotatedAt: client.secretRotatedAt,
  };
}

const CLIENT_SCHEMA = {
  type: 'object',
  properties: {
    clientId: { type: 'string' },
    displayName: { type: 'string' },
    scopes: { type: 'array', items: { type: 'string' } },
    tenants: { type: 'array', items: { type: 'string' } },
    disabled: { type: 'boolean' },
    source: { type: 'string', enum: ['config', 'registry'] },
    createdAt: { type: ['string', 'null'] },
    secretRotatedAt: { type: ['string', 'null'] },
  },
} as const;

const clientIdParams = {
  type: 'object',
  properties: { clientId: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' } },
} as const;

function changeOf(ctx: RequestContext): ClientChangeContext {
  return { actor: ctx.actor, audit: auditMetadataOf(ctx) };
}

/**
 * Client management (`orch:admin`): list, add (the secret is generated here and shown once), rotate a
 * secret, disable and enable. Every change is audited in the {@link AUTHORITY_TENANT} chain with the
 * change. Clients of the configuration file are listed but read-only.
 */
export function registerClientRoutes(app: FastifyInstance, deps: { readonly authority: Authority }): void {
  const { authority } = deps;

  app.get(
    '/clients',
    {
      schema: {
        tags: ['authority'],
        summary: 'List the clients of the Authority (configured and registered)',
        response: withProblems(
          { 200: { type: 'object', properties: { items: { type: 'array', items: CLIENT_SCHEMA } } } },
          [],
        ),
      },
    },
    async () => ({ items: (await authority.clients.listClients()).map(clientView) }),
  );

  app.post<{ Body: { clientId: string; displayName?: string; scopes: Scope[]; tenants: string[] } }>(
    '/clients',
    {
      schema: {
        tags: ['authority'],
        summary: `Register a client; its secret is in this answer only (audited in the ${AUTHORITY_TENANT} chain)`,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['clientId', 'scopes', 'tenants'],
          properties: {
            clientId: clientIdParams.properties.clientId,
            displayName: { type: 'string', minLength: 1, maxLength: 200 },
            scopes: {
              type: 'array',
              minItems: 1,
              uniqueItems: true,
              items: { type: 'string', enum: [...SCOPES] },
            },
            tenants: {
              type: 'array',
              minItems: 1,
              uniqueItems: true,
              items: {
                anyOf: [
                  { type: 'string', const: ANY_TENANT },
                  { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' },
                ],
              },
            },
          },
        },
        response: withProblems(
          {
            201: { type: 'object', properties: { client: CLIENT_SCHEMA, clientSecret: { type: 'string' } } },
          },
          [400, 409],
        ),
      },
    },
    async (request, reply) => {
      const ctx = contextOf(request);
      const { clientId, displayName = clientId, scopes, tenants } = request.body;
      if (authority.clients.isConfigured(clientId)) {
        throw new OrchestratorError(
          'CLIENT_EXISTS',
          `client ${clientId} is declared in the configuration file`,
        );
      }
      const clientSecret = generateClientSecret();
      const client = await authority.registry.addClient(
        {
          clientId,
          displayName,
          allowedScopes: scopes,
          allowedTenants: tenants,
          secretHash: await authority.secrets.hash(clientSecret),
        },
        changeOf(ctx),
      );
      return reply
        .code(201)
        .header('cache-control', 'no-store')
        .send({ client: clientView(client), clientSecret });
    },
  );

  app.post<{ Params: { clientId: string } }>(
    '/clients/:clientId/rotate-secret',
    {
      schema: {
        tags: ['authority'],
        summary:
          'Give a client a new secret (the old one stops working now); the secret is in this answer only',
        params: clientIdParams,
        body: { type: 'object', additionalProperties: false, properties: {} },
        response: withProblems(
          {
            200: { type: 'object', properties: { client: CLIENT_SCHEMA, clientSecret: { type: 'string' } } },
          },
          [404, 409],
        ),
      },
    },
    async (request, reply) => {
      const { clientId } = request.params;
      authority.clients.assertManaged(clientId);
      const clientSecret = generateClientSecret();
      const client = await authority.registry.rotateClientSecret(
        clientId,
        await authority.secrets.hash(clientSecret),
        changeOf(contextOf(request)),
      );
      return reply.header('cache-control', 'no-store').send({ client: clientView(client), clientSecret });
    },
  );

  for (const [action, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    app.post<{ Params: { clientId: string } }>(
      `/clients/:clientId/${action}`,
      {
        schema: {
          tags: ['authority'],
          summary:
            action === 'disable'
              ? 'Disable a client: no new tokens (tokens already issued live out their short lifetime)'
              : 'Enable a disabled client again',
          params: clientIdParams,
          body: { type: 'object', additionalProperties: false, properties: {} },
          response: withProblems(
            { 200: { type: 'object', properties: { client: CLIENT_SCHEMA } } },
            [404, 409],
          ),
        },
      },
      async (request) => {
        const { clientId } = request.params;
        authority.clients.assertManaged(clientId);
        const client = await authority.registry.setClientDisabled(
          clientId,
          disabled,
          changeOf(contextOf(request)),
        );
        return { client: clientView(client) };
      },
    );
  }

  app.post<{ Body: { purpose: 'token' } }>(
    '/signing-keys/rotate',
    {
      schema: {
        tags: ['authority'],
        summary: 'Rotate the token signing key: the new key signs, the previous one still verifies',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['purpose'],
          properties: { purpose: { type: 'string', enum: ['token'] } },
        },
        response: withProblems(
          {
            200: {
              type: 'object',
              properties: {
                keys: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: { keyId: { type: 'string' }, state: { type: 'string' } },
                  },
                },
              },
            },
          },
          [400],
        ),
      },
    },
    async (request) => {
      const ctx = contextOf(request);
      const published = await authority.keys.rotateKey(await newTokenKey());
      authority.issuer?.reload();
      authority.verifier.reload();
      const metadata = auditMetadataOf(ctx);
      await authority.audit.forTenant(AUTHORITY_TENANT).appendAuditEntry({
        actor: ctx.actor,
        action: 'signing_key.rotate',
        resourceType: 'signing_key',
        resourceId: published[0]?.keyId ?? 'none',
        after: { purpose: 'token', published: published.map((key) => `${key.keyId}:${key.state}`) },
        ...(metadata.reason === undefined ? {} : { reason: metadata.reason }),
        ...(metadata.ticket === undefined ? {} : { ticket: metadata.ticket }),
        ...(metadata.requestReason === undefined ? {} : { requestReason: metadata.requestReason }),
        ...(metadata.requestTicket === undefined ? {} : { requestTicket: metadata.requestTicket }),
        correlationId: ctx.correlationId,
      });
      return { keys: published.map((key) => ({ keyId: key.keyId, state: key.state })) };
    },
  );
}
