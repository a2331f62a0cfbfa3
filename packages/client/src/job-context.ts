import { ROOT_CONTEXT, type Context } from '@opentelemetry/api';
import { isLeaseLost } from './api-error.js';
import type { HeartbeatScheduler } from './heartbeat-scheduler.js';
import type { JobContext, JobTrace } from './job-handler.js';
import type { JsonValue } from './job-resources.js';
import type { LeaseGrant } from './lease-resources.js';
import { childLogger, type Logger } from './logger.js';
import type { OrchestratorClient } from './orchestrator-client.js';
import { traceHeadersOf } from './trace-propagation.js';

/** What a job's context is made of. */
export interface JobContextParts {
  readonly client: OrchestratorClient;
  /** Heartbeats, manual ones and progress reports go through it, so that they reset the schedule. */
  readonly heartbeats: HeartbeatScheduler;
  readonly grant: LeaseGrant;
  readonly workerId: string;
  readonly leaseDurationMs: number;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  /** The context of the job's `orch.job.run` span; the job's calls carry it. */
  readonly traceContext?: Context;
  /** The lease's current end, as the last heartbeat answered. */
  leaseUntil(): string;
  /** Called when an artifact call answers `LEASE_LOST` (heartbeats report through the scheduler). */
  onLeaseLost(): void;
}

/** The `ctx` a handler gets for one leased job. */
export function createJobContext(parts: JobContextParts): JobContext {
  const { client, heartbeats, grant, workerId, leaseDurationMs } = parts;
  const { leaseId, fencingToken, job } = grant;
  const traceContext = parts.traceContext;
  // Every call on the lease names the job's tenant: a pool worker's token (tenant `*`) needs it.
  const traced = { tenant: job.tenantId, ...(traceContext === undefined ? {} : { traceContext }) };
  return {
    signal: parts.signal,
    get lease() {
      return { leaseId, fencingToken, leaseUntil: parts.leaseUntil(), workerId };
    },
    attempt: job.attempt,
    heartbeat: () =>
      heartbeats.extendWith(leaseId, () =>
        client.heartbeat(leaseId, { fencingToken, leaseDurationMs }, traced),
      ),
    progress: (value: JsonValue) =>
      heartbeats.extendWith(leaseId, () =>
        client.reportProgress(leaseId, { fencingToken, progress: value, leaseDurationMs }, traced),
      ),
    addArtifacts: (artifacts) =>
      client.addArtifacts(leaseId, { fencingToken, artifacts }, traced).catch((error: unknown) => {
        if (isLeaseLost(error)) parts.onLeaseLost();
        throw error;
      }),
    log: childLogger(parts.logger, { jobId: job.jobId, leaseId, jobType: job.jobType, attempt: job.attempt }),
    trace: jobTraceOf(traceContext ?? ROOT_CONTEXT),
  };
}

function jobTraceOf(context: Context): JobTrace {
  return { context, ...traceHeadersOf(context) };
}
