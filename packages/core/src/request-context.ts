import type { Actor } from './job.js';
import type { OperatorMetadata } from './operator-metadata.js';
import type { TraceContext } from './trace-context.js';

/**
 * Who is asking, for which tenant: built once per request by the server's context hook (the only place
 * that decides identity) and passed to every application service.
 */
export interface RequestContext {
  readonly tenantId: string;
  readonly actor: Actor;
  /** Correlates the work this request causes; taken from `X-Correlation-Id` or generated. */
  readonly correlationId: string;
  /**
   * The operator's reason and ticket for everything done with the caller's credentials: the token's
   * `operator_reason` / `operator_ticket` claims, filled in by the Authority. Absent until then.
   */
  readonly operator?: OperatorMetadata;
  /**
   * A more specific reason and ticket for this one request (`X-Stella-Operator-Reason` /
   * `X-Stella-Operator-Ticket`). They do not replace {@link RequestContext.operator}: both are recorded.
   */
  readonly requestOperator?: OperatorMetadata;
  /**
   * The reason and ticket of backfill actions: the token's `backfill_reason` / `backfill_ticket` claims
   * (`orch:backfill` is granted only with both). Backfill actions record them as the operator's.
   */
  readonly backfill?: OperatorMetadata;
  /**
   * The reason and ticket of quota actions: the token's `quota_reason` / `quota_ticket` claims
   * (`orch:quota` is granted only with a reason). Quota actions record them as the operator's.
   */
  readonly quota?: OperatorMetadata;
  /**
   * The W3C trace context the work this request causes belongs to: the server's span of the request
   * when it traces, else the request's own valid `traceparent`. Jobs the request creates keep it.
   */
  readonly trace?: TraceContext;
}
