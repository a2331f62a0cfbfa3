import type { CallOptions, CreateCallOptions, OperatorCallOptions } from './client-options.js';
import type {
  Backfill,
  BackfillPreview,
  BackfillWithProgress,
  ListBackfillsQuery,
  ListWatermarksQuery,
  NewBackfill,
  Watermark,
} from './backfill-resources.js';
import type { RetryMode } from './http-transport.js';
import type { Page } from './job-resources.js';

/** The calls of the client that backfill calls go through (its retries, tokens and headers). */
export interface BackfillTransport {
  get<T>(path: string, options: CallOptions, query?: Record<string, string | number | undefined>): Promise<T>;
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
  operate<T>(
    path: string,
    body: unknown,
    retry: RetryMode,
    options: OperatorCallOptions & { readonly idempotencyKey?: string | undefined },
  ): Promise<{ body: T; possiblyRepeated: boolean }>;
}

/**
 * Backfills and watermarks (`client.backfills`). Writes need `orch:backfill`, whose token carries the
 * backfill reason and ticket (`ClientCredentials.backfillReason` / `backfillTicket`); they are audited as
 * `backfill.*`. Reads need `orch:read`.
 */
export class BackfillCalls {
  readonly #transport: BackfillTransport;

  /** @param transport - the owning client's calls */
  constructor(transport: BackfillTransport) {
    this.#transport = transport;
  }

  /**
   * Creates a backfill (`POST /backfills`): one job per step, in one new run. With an idempotency key a
   * repeat returns the same backfill.
   * @throws OrchestratorApiError `SOURCE_NOT_FOUND`, `SOURCE_DISABLED`, `BACKFILL_OVERLAP`,
   *   `BACKFILL_TOO_LARGE`, `VALIDATION_FAILED`
   */
  async create(
    backfill: NewBackfill,
    options: CreateCallOptions & OperatorCallOptions = {},
  ): Promise<Backfill> {
    const retry: RetryMode = options.idempotencyKey === undefined ? 'unprocessed' : 'always';
    return (await this.#transport.operate<Backfill>('/backfills', backfill, retry, options)).body;
  }

  /** Previews a backfill (`dryRun: true`): the steps and a duration estimate; nothing is written. */
  async preview(backfill: NewBackfill, options: OperatorCallOptions = {}): Promise<BackfillPreview> {
    const body = { ...backfill, dryRun: true };
    return (await this.#transport.operate<BackfillPreview>('/backfills', body, 'always', options)).body;
  }

  /** Lists backfills, newest first (`GET /backfills`). */
  list(query: ListBackfillsQuery = {}, options: CallOptions = {}): Promise<Page<Backfill>> {
    return this.#transport.get<Page<Backfill>>('/backfills', options, {
      sourceId: query.sourceId,
      jobType: query.jobType,
      status: query.status,
      page_size: query.pageSize,
      page_token: query.pageToken,
    });
  }

  /** Reads a backfill with its progress. @throws OrchestratorApiError `BACKFILL_NOT_FOUND` */
  get(backfillId: string, options: CallOptions = {}): Promise<BackfillWithProgress> {
    return this.#transport.get<BackfillWithProgress>(`/backfills/${encodeURIComponent(backfillId)}`, options);
  }

  /**
   * Pauses, resumes or cancels a backfill (a cancel takes an optional reason; by default the token's).
   * A repeat changes nothing. @throws OrchestratorApiError `BACKFILL_NOT_FOUND`, `BACKFILL_FINISHED`
   */
  async change(
    backfillId: string,
    change: { readonly action: 'pause' | 'resume' } | { readonly action: 'cancel'; readonly reason?: string },
    options: OperatorCallOptions = {},
  ): Promise<Backfill> {
    const { action, ...body } = change;
    const path = `/backfills/${encodeURIComponent(backfillId)}/${action}`;
    return (await this.#transport.operate<Backfill>(path, body, 'always', options)).body;
  }

  /** Lists the watermarks by source and job type (`GET /watermarks`). */
  listWatermarks(query: ListWatermarksQuery = {}, options: CallOptions = {}): Promise<Page<Watermark>> {
    return this.#transport.get<Page<Watermark>>('/watermarks', options, {
      sourceId: query.sourceId,
      jobType: query.jobType,
      page_size: query.pageSize,
      page_token: query.pageToken,
    });
  }

  /** Reads the watermark of a source and job type. @throws OrchestratorApiError `WATERMARK_NOT_FOUND` */
  getWatermark(sourceId: string, jobType: string, options: CallOptions = {}): Promise<Watermark> {
    const path = `/watermarks/${encodeURIComponent(sourceId)}/${encodeURIComponent(jobType)}`;
    return this.#transport.get<Watermark>(path, options);
  }
}
