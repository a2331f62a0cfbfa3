import type { AuditService } from '@stella-orch/core';
import type { FastifyInstance } from 'fastify';
import { pageFrom, timeFrom } from '../http-input.js';
import { problemFor, sendProblem } from '../problem.js';
import { contextOf } from '../request-context.js';
import { pageOf, pageQuerySchema, withProblems } from '../schemas.js';

interface AuditQuery {
  actor?: string;
  clientId?: string;
  action?: string;
  resourceType?: string;
  resourceId?: string;
  ticket?: string;
  occurred_after?: string;
  occurred_before?: string;
  page_size?: string;
  page_token?: string;
}

const filter = { type: 'string', minLength: 1, maxLength: 256 } as const;

/** The methods the audit resources answer: the trail has no mutation in the API (SPEC §2). */
const ALLOWED_METHODS = 'GET';

/** Querying and verifying the tenant's audit trail; every mutation is 405. */
export function registerAuditRoutes(app: FastifyInstance, deps: { readonly audit: AuditService }): void {
  const { audit } = deps;

  app.get<{ Querystring: AuditQuery }>(
    '/audit',
    {
      schema: {
        tags: ['audit'],
        summary: 'List audit entries, newest first (sequence descending)',
        description:
          '`ticket` matches the credentials’ ticket or the request’s ticket. Time bounds are exclusive.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            actor: filter,
            clientId: filter,
            action: { type: 'string', minLength: 1, maxLength: 128 },
            resourceType: filter,
            resourceId: filter,
            ticket: { type: 'string', minLength: 1, maxLength: 128 },
            occurred_after: { type: 'string' },
            occurred_before: { type: 'string' },
            ...pageQuerySchema,
          },
        },
        response: withProblems({ 200: pageOf('AuditEntry') }, [400]),
      },
    },
    async (request) => {
      const q = request.query;
      const occurredAfter = timeFrom(q.occurred_after, 'querystring.occurred_after');
      const occurredBefore = timeFrom(q.occurred_before, 'querystring.occurred_before');
      const page = await audit.listAuditEntries(contextOf(request), {
        ...pageFrom(q),
        ...(q.actor === undefined ? {} : { actorSubject: q.actor }),
        ...(q.clientId === undefined ? {} : { clientId: q.clientId }),
        ...(q.action === undefined ? {} : { action: q.action }),
        ...(q.resourceType === undefined ? {} : { resourceType: q.resourceType }),
        ...(q.resourceId === undefined ? {} : { resourceId: q.resourceId }),
        ...(q.ticket === undefined ? {} : { ticket: q.ticket }),
        ...(occurredAfter === undefined ? {} : { occurredAfter }),
        ...(occurredBefore === undefined ? {} : { occurredBefore }),
      });
      return { items: page.items, next_page_token: page.nextPageToken };
    },
  );

  app.get(
    '/audit/verify',
    {
      schema: {
        tags: ['audit'],
        summary: "Recompute the tenant's whole hash chain and compare its end with the head",
        response: { 200: { $ref: 'AuditVerification#' } },
      },
    },
    async (request) => audit.verifyAuditTrail(contextOf(request)),
  );

  app.get<{ Params: { auditId: string } }>(
    '/audit/:auditId',
    {
      schema: {
        tags: ['audit'],
        summary: 'Get one audit entry',
        params: {
          type: 'object',
          required: ['auditId'],
          properties: { auditId: { type: 'string', maxLength: 64 } },
        },
        response: withProblems({ 200: { $ref: 'AuditEntry#' } }, [404]),
      },
    },
    async (request) => audit.getAuditEntry(contextOf(request), request.params.auditId),
  );

  // Answered before the body is read: whatever is sent, the trail cannot be changed through the API.
  for (const url of ['/audit', '/audit/:auditId']) {
    app.route({
      method: ['POST', 'PUT', 'PATCH', 'DELETE'],
      url,
      schema: { hide: true },
      onRequest: async (request, reply) => {
        void reply.header('allow', ALLOWED_METHODS);
        const path = request.url.split('?')[0] ?? request.url;
        return sendProblem(
          reply,
          problemFor(
            request,
            'METHOD_NOT_ALLOWED',
            `${request.method} ${path} is not allowed: the audit trail is append-only (allowed: ${ALLOWED_METHODS})`,
          ),
        );
      },
      handler: async (_request, reply) => reply,
    });
  }
}
