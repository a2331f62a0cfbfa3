import type { Context } from '@opentelemetry/api';
import type { AccessTokenSource, ClientCredentials } from './client-credentials.js';
import type { RetryOptions } from './http-transport.js';

/**
 * Settings of `OrchestratorClient`. Every API call needs a bearer token: give `credentials` (the client
 * fetches, caches and refreshes tokens itself) or `accessToken` (a token obtained elsewhere), not both.
 */
export interface OrchestratorClientOptions {
  /** Where the orchestrator listens, such as `http://localhost:8080`. */
  readonly baseUrl: string;
  /**
   * Sent as `X-Stella-Tenant`, which must name the token's tenant (else 403 `TENANT_MISMATCH`); also the
   * tenant asked for in token requests when `credentials.tenant` is not set. `*` makes a pool worker's
   * client (credentials of a client allowed every tenant, scope `orch:worker` only): its lease calls draw
   * from every tenant, and its calls on a lease name the job's tenant ({@link LeaseCallOptions.tenant}).
   */
  readonly tenant?: string;
  /** Client credentials: tokens are fetched from the token endpoint on first use and refreshed before expiry. */
  readonly credentials?: ClientCredentials;
  /** A bearer token, or a function giving the current one (called for every attempt). */
  readonly accessToken?: AccessTokenSource;
  /** Extra headers on every request. */
  readonly headers?: Readonly<Record<string, string>>;
  /** The fetch implementation; the global `fetch` by default. */
  readonly fetch?: typeof fetch;
  /** Retry settings; `DEFAULT_RETRY_OPTIONS` by default. */
  readonly retry?: Partial<RetryOptions>;
  /** Per-attempt timeout; 30 s by default (a long-poll's wait is added to it). */
  readonly timeoutMs?: number;
}

/** Options every call accepts. */
export interface CallOptions {
  /** Aborts the call (and its retries); the call rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /**
   * The OpenTelemetry context the call belongs to: its span is sent as the W3C `traceparent` (and
   * `tracestate`). The active context by default (nothing is sent when it has no valid span).
   */
  readonly traceContext?: Context;
}

/** Options of a call on one lease (heartbeat, progress, artifacts, complete, and their batch forms). */
export interface LeaseCallOptions extends CallOptions {
  /**
   * The tenant of the lease's job, sent as `X-Stella-Tenant` instead of the client's `tenant`: a pool
   * worker's token (tenant `*`) acts on a lease as the job's tenant and must name it (`job.tenantId`); a
   * tenant's own token accepts only its tenant here. The client's `tenant` when not given.
   */
  readonly tenant?: string;
}

/** Options of a call that creates something. */
export interface CreateCallOptions extends CallOptions {
  /** Sent as `Idempotency-Key`: the same key and request give the same resource. Makes retries safe. */
  readonly idempotencyKey?: string;
}

/**
 * Options of an operator action: the request's own reason and ticket (`X-Stella-Operator-Reason`, at most
 * 256 characters, and `X-Stella-Operator-Ticket`, at most 128), recorded in the action's audit entry as
 * `requestReason` / `requestTicket` beside the token's.
 */
export interface OperatorCallOptions extends CallOptions {
  readonly operatorReason?: string;
  readonly operatorTicket?: string;
}
