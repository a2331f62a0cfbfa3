import type {
  CircuitBreaker,
  CircuitBreakerSettings,
  ListCircuitBreakersQuery,
  NewCircuitBreaker,
} from './circuit-resources.js';
import type { CallOptions, CreateCallOptions, OperatorCallOptions } from './client-options.js';
import type { RetryMode } from './http-transport.js';
import type { Page } from './job-resources.js';

/** The calls of the client that breaker calls go through (its retries, tokens and headers). */
export interface CircuitTransport {
  get<T>(path: string, options: CallOptions, query?: Record<string, string | number | undefined>): Promise<T>;
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
  operate<T>(
    path: string,
    body: unknown,
    retry: RetryMode,
    options: OperatorCallOptions & { readonly idempotencyKey?: string | undefined },
  ): Promise<{ body: T; possiblyRepeated: boolean }>;
  /** A PUT or DELETE carrying the operator headers of `options` and `headers`, repeated only when unprocessed. */
  change<T>(
    method: 'PUT' | 'DELETE',
    path: string,
    body: unknown,
    options: OperatorCallOptions,
    headers: Readonly<Record<string, string>>,
  ): Promise<T>;
}

const breakerPath = (breakerId: string) => `/circuit-breakers/${encodeURIComponent(breakerId)}`;
const ifMatch = (version: number | undefined): Record<string, string> =>
  version === undefined ? {} : { 'if-match': `"${version}"` };

/**
 * Circuit breakers (`client.circuits`). Changes need `orch:operate` (operator reason and ticket) and are
 * audited as `circuit_breaker.*`; reads need `orch:read`. A breaker's state moves by itself; an operator
 * changes its settings, deletes it, or resets it to closed.
 */
export class CircuitCalls {
  readonly #transport: CircuitTransport;

  /** @param transport - the owning client's calls */
  constructor(transport: CircuitTransport) {
    this.#transport = transport;
  }

  /** Lists the tenant's breakers, oldest first (`GET /circuit-breakers`). */
  listBreakers(
    query: ListCircuitBreakersQuery = {},
    options: CallOptions = {},
  ): Promise<Page<CircuitBreaker>> {
    return this.#transport.get<Page<CircuitBreaker>>('/circuit-breakers', options, {
      state: query.state,
      sourceId: query.sourceId,
      jobType: query.jobType,
      page_size: query.pageSize,
      page_token: query.pageToken,
    });
  }

  /**
   * Creates a breaker on a source or a job type (`POST /circuit-breakers`); the settings not given take
   * their defaults. With an idempotency key a repeat returns the same breaker.
   * @throws OrchestratorApiError `CIRCUIT_BREAKER_EXISTS` (409), `SOURCE_NOT_FOUND`, `IDEMPOTENCY_CONFLICT`,
   *   `VALIDATION_FAILED`
   */
  async createBreaker(
    breaker: NewCircuitBreaker,
    options: CreateCallOptions & OperatorCallOptions = {},
  ): Promise<CircuitBreaker> {
    const retry: RetryMode = options.idempotencyKey === undefined ? 'unprocessed' : 'always';
    return (await this.#transport.operate<CircuitBreaker>('/circuit-breakers', breaker, retry, options)).body;
  }

  /** Reads one breaker, with its state and window. @throws OrchestratorApiError `CIRCUIT_BREAKER_NOT_FOUND` */
  getBreaker(breakerId: string, options: CallOptions = {}): Promise<CircuitBreaker> {
    return this.#transport.get<CircuitBreaker>(breakerPath(breakerId), options);
  }

  /**
   * Changes a breaker's settings (`PUT /circuit-breakers/{breakerId}`: those given replace the current
   * ones, the others stay); with `expectedVersion`, sent as `If-Match`, refused unless it is at that version.
   * @throws OrchestratorApiError `CIRCUIT_BREAKER_NOT_FOUND`, `CIRCUIT_BREAKER_VERSION_MISMATCH` (412),
   *   `VALIDATION_FAILED`
   */
  updateBreaker(
    breakerId: string,
    settings: Partial<CircuitBreakerSettings>,
    options: OperatorCallOptions & { readonly expectedVersion?: number } = {},
  ): Promise<CircuitBreaker> {
    return this.#transport.change<CircuitBreaker>(
      'PUT',
      breakerPath(breakerId),
      settings,
      options,
      ifMatch(options.expectedVersion),
    );
  }

  /**
   * Deletes a breaker (`DELETE /circuit-breakers/{breakerId}`); with `expectedVersion`, only at that version.
   * @throws OrchestratorApiError `CIRCUIT_BREAKER_NOT_FOUND`, `CIRCUIT_BREAKER_VERSION_MISMATCH` (412)
   */
  async deleteBreaker(
    breakerId: string,
    options: OperatorCallOptions & { readonly expectedVersion?: number } = {},
  ): Promise<void> {
    await this.#transport.change<null>(
      'DELETE',
      breakerPath(breakerId),
      undefined,
      options,
      ifMatch(options.expectedVersion),
    );
  }

  /**
   * Resets a breaker to closed now (`POST /circuit-breakers/{breakerId}/reset`): its window and probes are
   * emptied. A closed breaker is returned as it is. @throws OrchestratorApiError `CIRCUIT_BREAKER_NOT_FOUND`
   */
  async resetBreaker(breakerId: string, options: OperatorCallOptions = {}): Promise<CircuitBreaker> {
    return (
      await this.#transport.operate<CircuitBreaker>(`${breakerPath(breakerId)}/reset`, {}, 'always', options)
    ).body;
  }
}
