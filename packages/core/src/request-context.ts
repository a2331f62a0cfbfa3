import type { Actor } from './job.js';

/**
 * Who is asking, for which tenant: built once per request by the server's context hook (the only place
 * that decides identity) and passed to every application service.
 */
export interface RequestContext {
  readonly tenantId: string;
  readonly actor: Actor;
  /** Correlates the work this request causes; taken from `X-Correlation-Id` or generated. */
  readonly correlationId: string;
}
