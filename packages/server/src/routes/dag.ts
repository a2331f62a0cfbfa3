import {
  DAG_LIMITS,
  describeJobDag,
  OrchestratorError,
  requireJob,
  type JobDag,
  type JobStore,
} from '@stella-orch/core';
import type { FastifyInstance } from 'fastify';
import { jobIdFrom } from '../http-input.js';
import { contextOf } from '../request-context.js';
import { jobIdParams, withProblems } from '../schemas.js';

const jobIds = { type: 'array', items: { type: 'string' } } as const;

/** The answer of `GET /jobs/{id}/dag` and `GET /runs/{id}/dag`. */
const jobDagSchema = {
  type: 'object',
  required: ['nodes', 'edges', 'topologicalOrder', 'criticalPath', 'parallelGroups'],
  properties: {
    nodes: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          jobId: { type: 'string' },
          jobType: { type: 'string' },
          status: { type: 'string' },
          runId: { type: ['string', 'null'] },
          startedAt: { type: ['string', 'null'] },
          completedAt: { type: ['string', 'null'] },
          durationMs: { type: 'integer' },
          durationEstimated: { type: 'boolean' },
        },
      },
    },
    edges: {
      type: 'array',
      description: '`to` depends on `from`.',
      items: { type: 'object', properties: { from: { type: 'string' }, to: { type: 'string' } } },
    },
    topologicalOrder: jobIds,
    criticalPath: {
      type: 'object',
      properties: {
        jobIds,
        durationMs: { type: 'integer' },
        estimatedJobIds: jobIds,
      },
    },
    parallelGroups: { type: 'array', items: jobIds },
  },
} as const;

/** Reads of dependency graphs: a job's connected graph and a run's jobs. */
export function registerDagRoutes(app: FastifyInstance, deps: { readonly store: JobStore }): void {
  const { store } = deps;
  const limit = { maxNodes: DAG_LIMITS.maxNodes };

  app.get<{ Params: { jobId: string } }>(
    '/jobs/:jobId/dag',
    {
      schema: {
        tags: ['jobs'],
        summary:
          'The dependency graph of a job (every job connected to it), with topological order, critical ' +
          'path and parallel groups',
        params: jobIdParams,
        response: withProblems({ 200: jobDagSchema }, [404, 422]),
      },
    },
    async (request): Promise<JobDag> => {
      const jobId = jobIdFrom(request.params.jobId);
      const graph = await store.forTenant(contextOf(request).tenantId).readJobGraph(jobId, limit);
      return describeJobDag(requireJob(graph, jobId));
    },
  );

  app.get<{ Params: { runId: string } }>(
    '/runs/:runId/dag',
    {
      schema: {
        tags: ['runs'],
        summary:
          'The dependency graph of the jobs of a run, with topological order, critical path and groups',
        params: { type: 'object', properties: { runId: { type: 'string', maxLength: 256 } } },
        response: withProblems({ 200: jobDagSchema }, [404, 422]),
      },
    },
    async (request): Promise<JobDag> => {
      const { runId } = request.params;
      const graph = await store.forTenant(contextOf(request).tenantId).readRunGraph(runId, limit);
      if (graph === null) {
        throw new OrchestratorError('RUN_NOT_FOUND', `run ${runId} does not exist`, { details: { runId } });
      }
      return describeJobDag(graph);
    },
  );
}
