import type { AuditRangeRequest, AuditService } from '@stella-orch/core';
import type { FastifyInstance } from 'fastify';
import { Readable } from 'node:stream';
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

interface RangeQuery {
  from_sequence?: string;
  through_sequence?: string;
}

const filter = { type: 'string', minLength: 1, maxLength: 256 } as const;

const sequence = { type: 'string', pattern: '^[0-9]{1,15}$' } as const;

/** `from_sequence` and `through_sequence`, both ends included; an end left out is the ledger's. */
const rangeQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: { from_sequence: sequence, through_sequence: sequence },
} as const;

function rangeFrom(query: RangeQuery): AuditRangeRequest {
  return {
    ...(query.from_sequence === undefined ? {} : { fromSequence: Number(query.from_sequence) }),
    ...(query.through_sequence === undefined ? {} : { throughSequence: Number(query.through_sequence) }),
  };
}

/** The methods the audit resources answer: the trail has no mutation in the API (SPEC §2). */
const ALLOWED_METHODS = 'GET';

/**
 * Querying, verifying and exporting the tenant's audit trail, and signing checkpoints of it. Entries
 * cannot be changed through the API: every mutation of an entry or of the listing is 405.
 */
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

  app.post(
    '/audit/checkpoints',
    {
      schema: {
        tags: ['audit'],
        summary: 'Sign a checkpoint of the tenant’s chain',
        description:
          'Appends an `audit.checkpoint` entry (the caller, the reasons and tickets, the correlation), then ' +
          'signs and keeps a checkpoint of that entry, so the checkpoint covers the record of its own request. ' +
          'Keep the answer outside the ledger: `GET /audit/verify` compares the chain with the latest one.',
        body: { type: 'object', additionalProperties: false, properties: {} },
        response: withProblems({ 201: { $ref: 'AuditCheckpoint#' } }, [400]),
      },
    },
    async (request, reply) => reply.code(201).send(await audit.createCheckpoint(contextOf(request))),
  );

  app.get(
    '/audit/checkpoints/latest',
    {
      schema: {
        tags: ['audit'],
        summary: 'Get the tenant’s latest signed checkpoint (the one of the highest sequence)',
        response: withProblems({ 200: { $ref: 'AuditCheckpoint#' } }, [404]),
      },
    },
    async (request) => audit.getLatestCheckpoint(contextOf(request)),
  );

  app.get<{ Querystring: RangeQuery }>(
    '/audit/export',
    {
      schema: {
        tags: ['audit'],
        summary: 'Export entries `from_sequence..through_sequence` as NDJSON',
        description:
          'One entry per line in sequence order, each the canonical JSON of the entry as served (sorted keys, ' +
          'no whitespace, absent fields left out), streamed. The range must lie in the ledger: not before ' +
          'the latest archive, not past the head; an end left out is the ledger’s (its first entry, the ' +
          'head at the time of the call). `GET /audit/export/manifest` of the same range signs the digest ' +
          'of exactly these bytes: to pair them, pass both ends (or take them from the manifest).',
        querystring: rangeQuerySchema,
        response: withProblems(
          {
            200: {
              description: 'The entries, one per line.',
              content: { 'application/x-ndjson': { schema: { type: 'string' } } },
            },
          },
          [400],
        ),
      },
    },
    async (request, reply) => {
      const ctx = contextOf(request);
      const { range, lines } = await audit.exportRange(ctx, rangeFrom(request.query));
      const name = `${ctx.tenantId}-${range.fromSequence}-${range.throughSequence}.ndjson`;
      return reply
        .type('application/x-ndjson; charset=utf-8')
        .header('content-disposition', `attachment; filename="${name}"`)
        .send(Readable.from(lines));
    },
  );

  app.get<{ Querystring: RangeQuery }>(
    '/audit/export/manifest',
    {
      schema: {
        tags: ['audit'],
        summary: 'Sign the manifest of an export of `from_sequence..through_sequence`',
        description:
          'Verifies the range (from the latest archive’s last hash, or genesis, when it starts where the ' +
          'ledger does) and signs its digest, first and last hashes and count. Nothing is stored. 409 ' +
          '`AUDIT_CHAIN_BROKEN` when the range does not verify.',
        querystring: rangeQuerySchema,
        response: withProblems({ 200: { $ref: 'AuditArchiveManifest#' } }, [400, 409]),
      },
    },
    async (request) => audit.exportManifest(contextOf(request), rangeFrom(request.query)),
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
