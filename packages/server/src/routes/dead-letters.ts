import {
  DEAD_LETTER_LIMITS,
  REPLAYABLE_STATUSES,
  type DeadLetterService,
  type DeadLetterStatus,
  type JobStore,
  type ReplayableStatus,
  type ReplayFilter,
} from '@stella-orch/core';
import type { FastifyInstance } from 'fastify';
import { idempotencyKeyFrom, pageFrom, timeFrom } from '../http-input.js';
import { contextOf } from '../request-context.js';
import { pageQuerySchema, withProblems } from '../schemas.js';

const nullableString = { type: ['string', 'null'] } as const;
const count = { type: 'integer' } as const;

/** A dead-letter entry as the API answers it. */
const deadLetterEntrySchema = {
  type: 'object',
  properties: {
    entryId: { type: 'string' },
    jobId: { type: 'string' },
    jobType: { type: 'string' },
    sourceId: nullableString,
    attempts: count,
    errorType: { type: 'string' },
    errorMessage: { type: 'string' },
    status: { type: 'string', enum: ['open', 'replayed', 'resolved'] },
    replayedJobId: nullableString,
    resolutionNote: nullableString,
    resolvedBy: nullableString,
    resolvedAt: nullableString,
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
  },
} as const;

const entryIdParams = {
  type: 'object',
  required: ['entryId'],
  properties: { entryId: { type: 'string', maxLength: 64 } },
} as const;

const countsByJobTypeAndSource = {
  total: count,
  byJobType: {
    type: 'array',
    items: { type: 'object', properties: { jobType: { type: 'string' }, count } },
  },
  bySource: {
    type: 'array',
    items: { type: 'object', properties: { sourceId: nullableString, count } },
  },
} as const;

/** The answer of a replay by filter: a preview (`dryRun`), or what was replayed. */
const bulkReplayAnswerSchema = {
  type: 'object',
  properties: {
    dryRun: { type: 'boolean' },
    ...countsByJobTypeAndSource,
    max: { type: ['integer', 'null'] },
    exceedsMax: { type: 'boolean' },
    replayId: { type: 'string' },
    created: count,
    existing: count,
    deadLettersReplayed: count,
    jobs: {
      type: 'array',
      items: {
        type: 'object',
        properties: { replayOf: { type: 'string' }, jobId: { type: 'string' }, created: { type: 'boolean' } },
      },
    },
  },
} as const;

const identifier = { type: 'string', minLength: 1, maxLength: 256 } as const;

interface ReplayBody {
  filter?: {
    jobType?: string;
    sourceId?: string;
    status?: ReplayableStatus[];
    createdAfter?: string;
    createdBefore?: string;
    deadLetterStatus?: 'open';
  };
  max?: number;
  dryRun?: boolean;
}

/** The filter of a replay by filter, its times normalised (`failed` jobs when no state is named). */
function replayFilterFrom(body: ReplayBody): ReplayFilter {
  const { filter = {} } = body;
  const createdAfter = timeFrom(filter.createdAfter, 'filter.createdAfter');
  const createdBefore = timeFrom(filter.createdBefore, 'filter.createdBefore');
  const statuses: readonly ReplayableStatus[] = filter.status ?? ['failed'];
  return {
    statuses: [...new Set(statuses)],
    ...(filter.jobType === undefined ? {} : { jobType: filter.jobType }),
    ...(filter.sourceId === undefined ? {} : { sourceId: filter.sourceId }),
    ...(createdAfter === undefined ? {} : { createdAfter }),
    ...(createdBefore === undefined ? {} : { createdBefore }),
    ...(filter.deadLetterStatus === undefined ? {} : { deadLetterStatus: filter.deadLetterStatus }),
  };
}

/**
 * The dead-letter queue (list, show, stats, summary, replay, resolve) and replay by filter
 * (`POST /jobs/replay`): reads need `orch:read`, changes `orch:operate` (scope-map.ts).
 */
export function registerDeadLetterRoutes(
  app: FastifyInstance,
  deps: { readonly deadLetters: DeadLetterService; readonly store: JobStore },
): void {
  const { deadLetters, store } = deps;

  app.get<{
    Querystring: {
      status?: DeadLetterStatus;
      jobType?: string;
      sourceId?: string;
      errorType?: string;
      created_after?: string;
      created_before?: string;
      page_size?: string;
      page_token?: string;
    };
  }>(
    '/deadletter',
    {
      schema: {
        tags: ['dead-letter'],
        summary: 'List dead-letter entries, newest first',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            status: { type: 'string', enum: ['open', 'replayed', 'resolved'] },
            jobType: { type: 'string', maxLength: 128 },
            sourceId: { type: 'string', maxLength: 256 },
            errorType: { type: 'string', maxLength: 200 },
            created_after: { type: 'string', maxLength: 64 },
            created_before: { type: 'string', maxLength: 64 },
            ...pageQuerySchema,
          },
        },
        response: withProblems(
          {
            200: {
              type: 'object',
              properties: {
                items: { type: 'array', items: deadLetterEntrySchema },
                next_page_token: nullableString,
              },
            },
          },
          [400],
        ),
      },
    },
    async (request) => {
      const q = request.query;
      const createdAfter = timeFrom(q.created_after, 'querystring.created_after');
      const createdBefore = timeFrom(q.created_before, 'querystring.created_before');
      const page = await store.forTenant(contextOf(request).tenantId).listDeadLetters({
        ...pageFrom(q),
        ...(q.status === undefined ? {} : { status: q.status }),
        ...(q.jobType === undefined ? {} : { jobType: q.jobType }),
        ...(q.sourceId === undefined ? {} : { sourceId: q.sourceId }),
        ...(q.errorType === undefined ? {} : { errorType: q.errorType }),
        ...(createdAfter === undefined ? {} : { createdAfter }),
        ...(createdBefore === undefined ? {} : { createdBefore }),
      });
      return { items: page.items, next_page_token: page.nextPageToken };
    },
  );

  app.get<{ Querystring: { top?: string } }>(
    '/deadletter/stats',
    {
      schema: {
        tags: ['dead-letter'],
        summary: 'Dead-letter counts by status, the top error types of open entries, the oldest open entry',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { top: { type: 'string', pattern: '^[0-9]{1,4}$' } },
        },
        response: withProblems(
          {
            200: {
              type: 'object',
              properties: {
                total: count,
                byStatus: {
                  type: 'object',
                  properties: { open: count, replayed: count, resolved: count },
                },
                topErrorTypes: {
                  type: 'array',
                  items: { type: 'object', properties: { errorType: { type: 'string' }, count } },
                },
                oldestOpen: {
                  type: ['object', 'null'],
                  properties: {
                    entryId: { type: 'string' },
                    jobId: { type: 'string' },
                    jobType: { type: 'string' },
                    createdAt: { type: 'string' },
                  },
                },
              },
            },
          },
          [400],
        ),
      },
    },
    async (request) =>
      deadLetters.stats(
        contextOf(request),
        request.query.top === undefined ? DEAD_LETTER_LIMITS.defaultTopErrorTypes : Number(request.query.top),
      ),
  );

  app.get(
    '/deadletter/summary',
    {
      schema: {
        tags: ['dead-letter'],
        summary: 'Open dead-letter entries grouped by job type, error type and source, largest first',
        response: withProblems(
          {
            200: {
              type: 'object',
              properties: {
                totalOpen: count,
                truncated: { type: 'boolean' },
                groups: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: {
                      jobType: { type: 'string' },
                      errorType: { type: 'string' },
                      sourceId: nullableString,
                      count,
                      firstSeenAt: { type: 'string' },
                      lastSeenAt: { type: 'string' },
                      sampleMessage: { type: 'string' },
                    },
                  },
                },
              },
            },
          },
          [],
        ),
      },
    },
    async (request) => deadLetters.summary(contextOf(request)),
  );

  app.get<{ Params: { entryId: string } }>(
    '/deadletter/:entryId',
    {
      schema: {
        tags: ['dead-letter'],
        summary: 'Get a dead-letter entry',
        params: entryIdParams,
        response: withProblems({ 200: deadLetterEntrySchema }, [404]),
      },
    },
    async (request) => deadLetters.getDeadLetter(contextOf(request), request.params.entryId),
  );

  app.post<{ Params: { entryId: string }; Body: Record<string, never> }>(
    '/deadletter/:entryId/replay',
    {
      schema: {
        tags: ['dead-letter', 'operators'],
        summary: "Replay an open entry's job as a new job (replayOf) and mark the entry replayed",
        params: entryIdParams,
        body: { type: 'object', additionalProperties: false, properties: {} },
        response: withProblems(
          {
            200: { type: 'object', properties: { entry: deadLetterEntrySchema, job: { $ref: 'Job#' } } },
            201: { type: 'object', properties: { entry: deadLetterEntrySchema, job: { $ref: 'Job#' } } },
          },
          [400, 404, 409],
        ),
      },
    },
    async (request, reply) => {
      const replayed = await deadLetters.replayDeadLetter(
        contextOf(request),
        request.params.entryId,
        idempotencyKeyFrom(request.headers),
      );
      if (!replayed.created) void reply.header('idempotent-replayed', 'true');
      return reply.code(replayed.created ? 201 : 200).send({ entry: replayed.entry, job: replayed.job });
    },
  );

  app.post<{ Params: { entryId: string }; Body: { note: string } }>(
    '/deadletter/:entryId/resolve',
    {
      schema: {
        tags: ['dead-letter', 'operators'],
        summary: 'Resolve an open entry with a note (no replay)',
        params: entryIdParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['note'],
          properties: { note: { type: 'string', minLength: 1, maxLength: DEAD_LETTER_LIMITS.maxNoteLength } },
        },
        response: withProblems({ 200: deadLetterEntrySchema }, [400, 404, 409]),
      },
    },
    async (request) =>
      deadLetters.resolveDeadLetter(contextOf(request), request.params.entryId, request.body.note),
  );

  app.post<{ Body: ReplayBody }>(
    '/jobs/replay',
    {
      schema: {
        tags: ['operators'],
        summary: 'Replay the terminal jobs a filter matches (dryRun: preview the counts)',
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            filter: {
              type: 'object',
              additionalProperties: false,
              properties: {
                jobType: { type: 'string', minLength: 1, maxLength: 128 },
                sourceId: identifier,
                status: {
                  type: 'array',
                  minItems: 1,
                  maxItems: REPLAYABLE_STATUSES.length,
                  items: { type: 'string', enum: [...REPLAYABLE_STATUSES] },
                },
                createdAfter: { type: 'string', maxLength: 64 },
                createdBefore: { type: 'string', maxLength: 64 },
                deadLetterStatus: { type: 'string', enum: ['open'] },
              },
            },
            max: { type: 'integer', minimum: 1 },
            dryRun: { type: 'boolean' },
          },
        },
        response: withProblems({ 200: bulkReplayAnswerSchema, 201: bulkReplayAnswerSchema }, [400, 409]),
      },
    },
    async (request, reply) => {
      const body = request.body;
      const answer = await deadLetters.replayJobs(
        contextOf(request),
        {
          filter: replayFilterFrom(body),
          dryRun: body.dryRun ?? false,
          ...(body.max === undefined ? {} : { max: body.max }),
        },
        idempotencyKeyFrom(request.headers),
      );
      if (!answer.dryRun && answer.created === 0 && answer.existing > 0)
        void reply.header('idempotent-replayed', 'true');
      return reply.code(!answer.dryRun && answer.created > 0 ? 201 : 200).send(answer);
    },
  );
}
