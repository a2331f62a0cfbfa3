import type { CallOptions, CreateCallOptions, OperatorCallOptions } from './client-options.js';
import type { RetryMode } from './http-transport.js';
import type { Page } from './job-resources.js';
import type {
  ListQuotasQuery,
  ListThrottlesQuery,
  NewQuota,
  NewThrottle,
  Quota,
  QuotaLimits,
  QuotaPause,
  QuotaSummary,
  Throttle,
} from './limit-resources.js';

/** The calls of the client that limit calls go through (its retries, tokens and headers). */
export interface LimitTransport {
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

const quotaPath = (quotaId: string) => `/quotas/${encodeURIComponent(quotaId)}`;
const throttlePath = (throttleId: string) => `/throttles/${encodeURIComponent(throttleId)}`;
const ifMatch = (version: number | undefined): Record<string, string> =>
  version === undefined ? {} : { 'if-match': `"${version}"` };

/**
 * Quotas and throttles (`client.limits`). Quota changes need `orch:quota`, whose token carries the quota
 * reason (`ClientCredentials.quotaReason`, and optionally `quotaTicket`); they are audited as `quota.*`.
 * Throttle changes need `orch:operate` (operator reason and ticket), audited as `throttle.*`. Reads need
 * `orch:read`.
 */
export class LimitCalls {
  readonly #transport: LimitTransport;

  /** @param transport - the owning client's calls */
  constructor(transport: LimitTransport) {
    this.#transport = transport;
  }

  /** Lists the tenant's quotas, oldest first (`GET /quotas`). */
  listQuotas(query: ListQuotasQuery = {}, options: CallOptions = {}): Promise<Page<Quota>> {
    return this.#transport.get<Page<Quota>>('/quotas', options, {
      jobType: query.jobType,
      page_size: query.pageSize,
      page_token: query.pageToken,
    });
  }

  /**
   * Creates a quota (`POST /quotas`). With an idempotency key a repeat returns the same quota.
   * @throws OrchestratorApiError `QUOTA_EXISTS` (409), `IDEMPOTENCY_CONFLICT`, `VALIDATION_FAILED`
   */
  async createQuota(quota: NewQuota, options: CreateCallOptions & OperatorCallOptions = {}): Promise<Quota> {
    const retry: RetryMode = options.idempotencyKey === undefined ? 'unprocessed' : 'always';
    return (await this.#transport.operate<Quota>('/quotas', quota, retry, options)).body;
  }

  /** Reads one quota. @throws OrchestratorApiError `QUOTA_NOT_FOUND` */
  getQuota(quotaId: string, options: CallOptions = {}): Promise<Quota> {
    return this.#transport.get<Quota>(quotaPath(quotaId), options);
  }

  /**
   * Replaces a quota's limits (`PUT /quotas/{quotaId}`; an absent limit becomes `null`); with
   * `expectedVersion`, sent as `If-Match`, refused unless the quota is at that version.
   * @throws OrchestratorApiError `QUOTA_NOT_FOUND`, `QUOTA_VERSION_MISMATCH` (412), `VALIDATION_FAILED`
   */
  updateQuota(
    quotaId: string,
    limits: QuotaLimits,
    options: OperatorCallOptions & { readonly expectedVersion?: number } = {},
  ): Promise<Quota> {
    return this.#transport.change<Quota>(
      'PUT',
      quotaPath(quotaId),
      limits,
      options,
      ifMatch(options.expectedVersion),
    );
  }

  /**
   * Deletes a quota (`DELETE /quotas/{quotaId}`); with `expectedVersion`, only at that version.
   * @throws OrchestratorApiError `QUOTA_NOT_FOUND`, `QUOTA_VERSION_MISMATCH` (412)
   */
  async deleteQuota(
    quotaId: string,
    options: OperatorCallOptions & { readonly expectedVersion?: number } = {},
  ): Promise<void> {
    await this.#transport.change<null>(
      'DELETE',
      quotaPath(quotaId),
      undefined,
      options,
      ifMatch(options.expectedVersion),
    );
  }

  /** Pauses a quota: the jobs of its scope wait. A repeat changes nothing. @throws `QUOTA_NOT_FOUND` */
  async pauseQuota(quotaId: string, pause: QuotaPause, options: OperatorCallOptions = {}): Promise<Quota> {
    return (await this.#transport.operate<Quota>(`${quotaPath(quotaId)}/pause`, pause, 'always', options))
      .body;
  }

  /** Resumes a paused quota. A repeat changes nothing. @throws `QUOTA_NOT_FOUND` */
  async resumeQuota(quotaId: string, options: OperatorCallOptions = {}): Promise<Quota> {
    return (await this.#transport.operate<Quota>(`${quotaPath(quotaId)}/resume`, {}, 'always', options)).body;
  }

  /** Every quota with its usage now (active and ready jobs, tokens), and the tenant's totals. */
  quotaSummary(options: CallOptions = {}): Promise<QuotaSummary> {
    return this.#transport.get<QuotaSummary>('/quotas/summary', options);
  }

  /** Lists throttles, newest first (`GET /throttles`). */
  listThrottles(query: ListThrottlesQuery = {}, options: CallOptions = {}): Promise<Page<Throttle>> {
    return this.#transport.get<Page<Throttle>>('/throttles', options, {
      sourceId: query.sourceId,
      jobType: query.jobType,
      active: query.active === undefined ? undefined : String(query.active),
      page_size: query.pageSize,
      page_token: query.pageToken,
    });
  }

  /**
   * Creates a throttle (`POST /throttles`). With an idempotency key a repeat returns the same throttle.
   * @throws OrchestratorApiError `SOURCE_NOT_FOUND`, `IDEMPOTENCY_CONFLICT`, `VALIDATION_FAILED`
   */
  async createThrottle(
    throttle: NewThrottle,
    options: CreateCallOptions & OperatorCallOptions = {},
  ): Promise<Throttle> {
    const retry: RetryMode = options.idempotencyKey === undefined ? 'unprocessed' : 'always';
    return (await this.#transport.operate<Throttle>('/throttles', throttle, retry, options)).body;
  }

  /** Reads one throttle. @throws OrchestratorApiError `THROTTLE_NOT_FOUND` */
  getThrottle(throttleId: string, options: CallOptions = {}): Promise<Throttle> {
    return this.#transport.get<Throttle>(throttlePath(throttleId), options);
  }

  /**
   * Ends a throttle now (`POST /throttles/{throttleId}/revoke`); `reason` defaults to the operator's. A
   * revoked or expired throttle is returned as it is. @throws OrchestratorApiError `THROTTLE_NOT_FOUND`
   */
  async revokeThrottle(
    throttleId: string,
    options: OperatorCallOptions & { readonly reason?: string } = {},
  ): Promise<Throttle> {
    const body = options.reason === undefined ? {} : { reason: options.reason };
    return (
      await this.#transport.operate<Throttle>(`${throttlePath(throttleId)}/revoke`, body, 'always', options)
    ).body;
  }
}
