import { explainJob, JOB_CONDITION_CODES, requireJob, type JobStore, type JobWhy } from '@stella-orch/core';
import type { FastifyInstance } from 'fastify';
import { jobIdFrom } from '../http-input.js';
import { contextOf } from '../request-context.js';
import { jobIdParams, withProblems } from '../schemas.js';

/** The ready jobs ahead of a job that `why` counts before it says "more than". */
export const WHY_MAX_QUEUE_AHEAD = 1000;

/** The answer of `GET /jobs/{id}/why`. */
const jobWhySchema = {
  type: 'object',
  required: ['jobId', 'status', 'runnable', 'conditions', 'evaluatedAt'],
  properties: {
    jobId: { type: 'string' },
    status: { type: 'string' },
    runnable: { type: 'boolean', description: 'Whether a worker may lease the job now.' },
    conditions: {
      type: 'array',
      description:
        'In order: dependencies, time (back-off, notBefore), source, backfill, [limits], then where the job stands.',
      items: {
        type: 'object',
        required: ['code', 'message', 'details'],
        properties: {
          code: { type: 'string', enum: [...JOB_CONDITION_CODES] },
          message: { type: 'string' },
          until: { type: 'string', format: 'date-time' },
          details: { type: 'object', additionalProperties: true },
        },
      },
    },
    evaluatedAt: { type: 'string', format: 'date-time', description: 'The database clock of the answer.' },
  },
} as const;

/** `GET /jobs/{id}/why`: the conditions holding a job, in order, in words and codes. */
export function registerJobWhyRoutes(
  app: FastifyInstance,
  deps: { readonly store: JobStore; readonly backfillLaneShare: number },
): void {
  const { store, backfillLaneShare } = deps;
  app.get<{ Params: { jobId: string } }>(
    '/jobs/:jobId/why',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Why a job is not running: the conditions holding it, in order, with stable codes',
        params: jobIdParams,
        response: withProblems({ 200: jobWhySchema }, [404]),
      },
    },
    async (request): Promise<JobWhy> => {
      const jobId = jobIdFrom(request.params.jobId);
      const read = await store
        .forTenant(contextOf(request).tenantId)
        .readJobHoldFacts(jobId, { maxQueueAhead: WHY_MAX_QUEUE_AHEAD, backfillLaneShare });
      const { job, facts } = requireJob(read, jobId);
      return explainJob(job, facts);
    },
  );
}
