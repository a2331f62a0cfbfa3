import {
  MAX_LEASE_BATCH_SIZE,
  OrchestratorError,
  type Completion,
  type JobFailure,
  type JobService,
  type JsonValue,
  type LeasedJob,
} from '@stella-orch/core';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { isUuid } from '../http-input.js';
import type { LeaseWaiter } from '../lease-waiter.js';
import { contextOf } from '../request-context.js';
import { leaseIdParams, withProblems } from '../schemas.js';
import type { RequestTracing } from '../tracing/request-tracing.js';

interface LeaseRouteDeps {
  readonly jobs: JobService;
  readonly waiter: LeaseWaiter;
  /** Records an `orch.job.lease` span per leased job. */
  readonly tracing: RequestTracing;
  readonly maxLeaseWaitMs: number;
  /** How often a waiting lease call looks again without a wake-up (back-offs that end, other replicas). */
  readonly leasePollIntervalMs: number;
}

const workerId = { type: 'string', minLength: 1, maxLength: 200 } as const;
const fencingToken = { type: 'integer', minimum: 0 } as const;
const leaseDurationMs = { type: 'integer', minimum: 1, maximum: 86_400_000 } as const;

const leaseStateSchema = {
  type: 'object',
  properties: {
    jobId: { type: 'string' },
    leaseUntil: { type: 'string' },
    cancelRequested: { type: 'boolean' },
    status: { type: 'string' },
  },
} as const;

const completionBody = {
  outcome: { type: 'string', enum: ['succeeded', 'failed', 'canceled'] },
  result: {},
  error: { $ref: 'JobFailure#' },
} as const;

const batchResultSchema = {
  type: 'object',
  properties: {
    results: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          leaseId: { type: 'string' },
          ok: { type: 'boolean' },
          jobId: { type: 'string' },
          disposition: { type: 'string' },
          leaseUntil: { type: 'string' },
          cancelRequested: { type: 'boolean' },
          code: { type: 'string' },
          detail: { type: 'string' },
        },
      },
    },
  },
} as const;

interface CompletionBody {
  fencingToken: number;
  outcome: Completion['outcome'];
  result?: JsonValue;
  error?: JobFailure;
}

/** The lease of a path; a malformed id cannot be a current lease. */
function leaseIdFrom(value: string): string {
  if (!isUuid(value))
    throw new OrchestratorError('LEASE_LOST', `lease ${value} is not held`, { details: { leaseId: value } });
  return value.toLowerCase();
}

/**
 * An `AbortSignal` that fires when the client goes away before the answer is sent. (The request's own
 * `close` event fires as soon as its body has been read, so it is the response that is watched.)
 */
function disconnectSignal(reply: FastifyReply): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const onClose = (): void => {
    if (!reply.raw.writableFinished) controller.abort();
  };
  reply.raw.once('close', onClose);
  return { signal: controller.signal, dispose: () => reply.raw.off('close', onClose) };
}

/** The wire form of a refused item of a batch call: errors of items are data, with their catalogue code. */
function refused(result: { readonly leaseId: string; readonly error: OrchestratorError }) {
  return { leaseId: result.leaseId, ok: false, code: result.error.code, detail: result.error.message };
}

/** The body of a batch call: `{ <field>: [item, …] }`, 1 to {@link MAX_LEASE_BATCH_SIZE} items, each naming its lease. */
function batchBodySchema(
  field: string,
  required: readonly string[],
  properties: Readonly<Record<string, unknown>>,
) {
  return {
    type: 'object',
    additionalProperties: false,
    required: [field],
    properties: {
      [field]: {
        type: 'array',
        minItems: 1,
        maxItems: MAX_LEASE_BATCH_SIZE,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['leaseId', ...required],
          properties: { leaseId: { type: 'string', maxLength: 64 }, ...properties },
        },
      },
    },
  };
}

/** The worker bridge: lease (batch, long-poll), heartbeat, progress, artifacts, complete. */
export function registerLeaseRoutes(app: FastifyInstance, deps: LeaseRouteDeps): void {
  const { jobs, waiter } = deps;

  app.post<{
    Body: { workerId: string; jobTypes: string[]; limit?: number; leaseDurationMs?: number; waitMs?: number };
  }>(
    '/leases',
    {
      schema: {
        tags: ['workers'],
        summary: 'Lease eligible jobs, waiting up to waitMs for work to arrive',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['workerId', 'jobTypes'],
          properties: {
            workerId,
            jobTypes: {
              type: 'array',
              minItems: 1,
              maxItems: 100,
              items: { type: 'string', minLength: 1, maxLength: 128 },
            },
            limit: { type: 'integer', minimum: 1 },
            leaseDurationMs,
            waitMs: { type: 'integer', minimum: 0, maximum: deps.maxLeaseWaitMs },
          },
        },
        response: withProblems(
          {
            200: {
              type: 'object',
              properties: {
                leases: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: {
                      leaseId: { type: 'string' },
                      fencingToken: { type: 'integer' },
                      leaseUntil: { type: 'string' },
                      job: { $ref: 'Job#' },
                    },
                  },
                },
              },
            },
          },
          [400],
        ),
      },
    },
    async (request, reply) => {
      const ctx = contextOf(request);
      const { waitMs = 0, ...leaseRequest } = request.body;
      const deadline = Date.now() + waitMs;
      const { signal, dispose } = disconnectSignal(reply);
      try {
        for (;;) {
          const ticket = waiter.ticket(ctx.tenantId);
          const startedAt = Date.now();
          const leased: LeasedJob[] = await jobs.leaseJobs(ctx, leaseRequest);
          const remainingMs = deadline - Date.now();
          if (leased.length > 0 || remainingMs <= 0 || signal.aborted || waiter.closed) {
            ticket.cancel();
            deps.tracing.recordLeases(request, leased, startedAt);
            return { leases: leased.map(({ job, lease }) => ({ ...lease, job })) };
          }
          await ticket.wait(Math.min(remainingMs, deps.leasePollIntervalMs), signal);
          // Shutting down: answer "nothing" rather than query a ledger that is closing.
          if (waiter.closed) return { leases: [] };
        }
      } finally {
        dispose();
      }
    },
  );

  app.post<{ Params: { leaseId: string }; Body: { fencingToken: number; leaseDurationMs?: number } }>(
    '/leases/:leaseId/heartbeat',
    {
      schema: {
        tags: ['workers'],
        summary: 'Extend a lease; learn whether cancel was requested',
        params: leaseIdParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['fencingToken'],
          properties: { fencingToken, leaseDurationMs },
        },
        response: withProblems({ 200: leaseStateSchema }, [400, 409]),
      },
    },
    async (request) => {
      const { fencingToken: token, leaseDurationMs: ms } = request.body;
      return jobs.heartbeat(
        contextOf(request),
        { leaseId: leaseIdFrom(request.params.leaseId), fencingToken: token },
        ms === undefined ? {} : { leaseDurationMs: ms },
      );
    },
  );

  app.post<{
    Params: { leaseId: string };
    Body: { fencingToken: number; progress: JsonValue; leaseDurationMs?: number };
  }>(
    '/leases/:leaseId/progress',
    {
      schema: {
        tags: ['workers'],
        summary: 'Report progress (also extends the lease)',
        params: leaseIdParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['fencingToken', 'progress'],
          properties: { fencingToken, progress: {}, leaseDurationMs },
        },
        response: withProblems({ 200: leaseStateSchema }, [400, 409]),
      },
    },
    async (request) => {
      const { fencingToken: token, progress, leaseDurationMs: ms } = request.body;
      return jobs.heartbeat(
        contextOf(request),
        { leaseId: leaseIdFrom(request.params.leaseId), fencingToken: token },
        {
          progress,
          ...(ms === undefined ? {} : { leaseDurationMs: ms }),
        },
      );
    },
  );

  app.post<{
    Params: { leaseId: string };
    Body: {
      fencingToken: number;
      artifacts: { uri: string; digest: string; sizeBytes: number; mediaType: string }[];
    };
  }>(
    '/leases/:leaseId/artifacts',
    {
      schema: {
        tags: ['workers'],
        summary: 'Attach artifacts to the leased job',
        params: leaseIdParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['fencingToken', 'artifacts'],
          properties: {
            fencingToken,
            artifacts: {
              type: 'array',
              minItems: 1,
              maxItems: 100,
              items: {
                type: 'object',
                additionalProperties: false,
                required: ['uri', 'digest', 'sizeBytes', 'mediaType'],
                properties: {
                  uri: { type: 'string', minLength: 1, maxLength: 2048 },
                  digest: { type: 'string', pattern: '^sha256:[0-9a-f]{64}$' },
                  sizeBytes: { type: 'integer', minimum: 0 },
                  mediaType: { type: 'string', minLength: 1, maxLength: 255 },
                },
              },
            },
          },
        },
        response: withProblems(
          {
            201: {
              type: 'object',
              properties: { items: { type: 'array', items: { type: 'object', additionalProperties: true } } },
            },
          },
          [400, 409],
        ),
      },
    },
    async (request, reply) => {
      const { fencingToken: token, artifacts } = request.body;
      const items = await jobs.addArtifacts(
        contextOf(request),
        { leaseId: leaseIdFrom(request.params.leaseId), fencingToken: token },
        artifacts,
      );
      return reply.code(201).send({ items });
    },
  );

  app.post<{ Params: { leaseId: string }; Body: CompletionBody }>(
    '/leases/:leaseId/complete',
    {
      schema: {
        tags: ['workers'],
        summary: 'End the attempt: succeeded, failed (retried or dead-lettered) or canceled',
        params: leaseIdParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['fencingToken', 'outcome'],
          properties: { fencingToken, ...completionBody },
        },
        response: withProblems(
          { 200: { type: 'object', properties: { job: { $ref: 'Job#' }, disposition: { type: 'string' } } } },
          [400, 409],
        ),
      },
    },
    async (request) =>
      jobs.completeJob(contextOf(request), { ...request.body, leaseId: leaseIdFrom(request.params.leaseId) }),
  );

  app.post<{ Body: { completions: (CompletionBody & { leaseId: string })[] } }>(
    '/leases/complete',
    {
      schema: {
        tags: ['workers'],
        summary: 'Complete several leases; each item succeeds or fails on its own',
        body: batchBodySchema('completions', ['fencingToken', 'outcome'], {
          fencingToken,
          ...completionBody,
        }),
        response: withProblems({ 200: batchResultSchema }, [400]),
      },
    },
    async (request) => {
      const results = await jobs.completeJobs(contextOf(request), request.body.completions);
      return {
        results: results.map((r) =>
          r.ok
            ? { leaseId: r.leaseId, ok: true, jobId: r.job.jobId, disposition: r.disposition }
            : refused(r),
        ),
      };
    },
  );

  app.post<{ Body: { heartbeats: { leaseId: string; fencingToken: number; leaseDurationMs?: number }[] } }>(
    '/leases/heartbeat',
    {
      schema: {
        tags: ['workers'],
        summary: 'Extend several leases; each item succeeds or fails on its own',
        body: batchBodySchema('heartbeats', ['fencingToken'], { fencingToken, leaseDurationMs }),
        response: withProblems({ 200: batchResultSchema }, [400]),
      },
    },
    async (request) => {
      const results = await jobs.extendLeases(contextOf(request), request.body.heartbeats);
      return {
        results: results.map((r) =>
          r.ok
            ? {
                leaseId: r.leaseId,
                ok: true,
                jobId: r.jobId,
                leaseUntil: r.leaseUntil,
                cancelRequested: r.cancelRequested,
              }
            : refused(r),
        ),
      };
    },
  );
}
