import type { RetryOptions } from './http-transport.js';

/** Settings of `OrchestratorClient`. */
export interface OrchestratorClientOptions {
  /** Where the orchestrator listens, such as `http://localhost:8080`. */
  readonly baseUrl: string;
  /** Sent as `X-Stella-Tenant`. */
  readonly tenant?: string;
  /** Sent as `X-Stella-Actor`. */
  readonly actor?: string;
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
}

/** Options of a call that creates something. */
export interface CreateCallOptions extends CallOptions {
  /** Sent as `Idempotency-Key`: the same key and request give the same resource. Makes retries safe. */
  readonly idempotencyKey?: string;
}
