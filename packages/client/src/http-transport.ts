import type { Context } from '@opentelemetry/api';
import {
  isLeaseLost,
  LeaseOutcomeUnknownError,
  OrchestratorApiError,
  OrchestratorConnectionError,
  type Problem,
} from './api-error.js';
import { backoffDelayMs, delay, parseRetryAfterMs } from './backoff.js';
import { setTraceHeaders } from './trace-propagation.js';

/** Retry settings of the client: capped exponential back-off. */
export interface RetryOptions {
  /** Retries after the first attempt; 0 turns retrying off. */
  readonly maxRetries: number;
  readonly initialDelayMs: number;
  /** Cap of one delay. A `Retry-After` longer than this is not waited for: the error is surfaced. */
  readonly maxDelayMs: number;
}

/** The defaults: 4 retries, 200 ms doubling up to 5 s. */
export const DEFAULT_RETRY_OPTIONS: RetryOptions = { maxRetries: 4, initialDelayMs: 200, maxDelayMs: 5_000 };

/**
 * Which transient failures a call may be repeated after:
 * - `always`: the call is safe to repeat even if an earlier attempt was applied (reads, fenced lease
 *   calls, creations carrying an idempotency key);
 * - `unprocessed`: only when the request surely did nothing (connection refused, 429, 503);
 * - `never`: one attempt (probes).
 */
export type RetryMode = 'always' | 'unprocessed' | 'never';

/** One HTTP call of the client. */
export interface TransportRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path below the base URL, starting with `/`, already percent-encoded. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string | number | undefined>>;
  /** A JSON body. */
  readonly body?: unknown;
  /** A form body (`application/x-www-form-urlencoded`), instead of JSON. */
  readonly form?: Readonly<Record<string, string>>;
  readonly headers?: Readonly<Record<string, string>>;
  /** How a successful answer is read: as JSON (the default), or as text. */
  readonly responseType?: 'json' | 'text';
  /**
   * Builds the error of an error answer in place of `OrchestratorApiError` (the token endpoint's RFC 6749
   * errors); returning `undefined` keeps the default. Whether the answer is retried depends on its status
   * alone.
   */
  readonly mapError?: (status: number, text: string) => Error | undefined;
  /** The call needs no credentials (health probes, the token request itself). */
  readonly anonymous?: boolean;
  readonly retry: RetryMode;
  /** A fenced lease call: `LEASE_LOST` on a repeat after an ambiguous attempt becomes {@link LeaseOutcomeUnknownError}. */
  readonly fenced?: boolean;
  readonly signal?: AbortSignal | undefined;
  /** The context whose span the call continues (`traceparent`); the active context when not given. */
  readonly traceContext?: Context | undefined;
  /** Added to the per-attempt timeout (the long-poll wait of `POST /leases`). */
  readonly extraTimeoutMs?: number;
}

/** A successful answer. */
export interface TransportResponse<T> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
  /** An earlier attempt of this call failed in a way that may have left it applied. */
  readonly possiblyRepeated: boolean;
}

/** How an attempt failed: `not_sent`/`refused` did nothing, `unknown` may have been applied, `final` is not transient. */
type FailureKind = 'not_sent' | 'refused' | 'unknown' | 'final';

type AttemptResult =
  | { readonly kind: 'ok'; readonly status: number; readonly headers: Headers; readonly body: unknown }
  | {
      readonly kind: FailureKind;
      readonly error: Error;
      readonly retryAfterMs?: number | undefined;
      /** The HTTP status of an error answer; absent for network failures. */
      readonly status?: number;
    };

const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Settings of {@link HttpTransport}. */
export interface HttpTransportOptions {
  readonly baseUrl: string;
  readonly fetch: typeof fetch;
  readonly retry: RetryOptions;
  readonly timeoutMs: number;
  /**
   * Builds the headers of every attempt (so a refreshed credential is used on a retry). May wait for a
   * token; rejects with the caller's abort reason, or with the token endpoint's error.
   */
  readonly headers: (attempt: AttemptContext) => Promise<Headers>;
  /**
   * Called when an attempt is answered 401 with the headers it was sent with. Resolving `true` (a new
   * credential is available) repeats the request once, whatever its {@link RetryMode}: a 401 did nothing.
   */
  readonly onUnauthorized?: (refused: Headers) => Promise<boolean>;
}

/** What the header source of an attempt is told. */
export interface AttemptContext {
  /** The call needs no credentials. */
  readonly anonymous: boolean;
  readonly signal?: AbortSignal | undefined;
}

/** Sends JSON requests with per-attempt timeouts, retries transient failures and maps problems to errors. */
export class HttpTransport {
  readonly #options: HttpTransportOptions;
  readonly #baseUrl: string;

  /** @param options - base URL, fetch, retry, timeout and header source */
  constructor(options: HttpTransportOptions) {
    this.#options = options;
    this.#baseUrl = new URL(options.baseUrl).href.replace(/\/+$/, '');
  }

  /**
   * Performs `request`, retrying transient failures as its {@link RetryMode} allows.
   *
   * @throws OrchestratorApiError for an error answer, OrchestratorConnectionError when unreachable, the
   *   signal's reason when the caller aborts
   */
  async request<T>(request: TransportRequest): Promise<TransportResponse<T>> {
    const url = this.#url(request);
    let possiblyApplied = false;
    let reauthenticated = false;
    for (let retry = 1; ; retry++) {
      const headers = await this.#options.headers({
        anonymous: request.anonymous === true,
        signal: request.signal,
      });
      const result = await this.#attempt(url, request, headers);
      if (result.kind === 'ok') {
        return {
          status: result.status,
          headers: result.headers,
          body: result.body as T,
          possiblyRepeated: possiblyApplied,
        };
      }
      // A refused credential (an expired token, say): one fresh credential, one repeat, not a retry.
      if (result.status === 401 && !reauthenticated && (await this.#reauthenticate(headers))) {
        reauthenticated = true;
        retry--;
        continue;
      }
      if (request.fenced === true && possiblyApplied && isLeaseLost(result.error)) {
        throw new LeaseOutcomeUnknownError(result.error.problem);
      }
      const wait = this.#retryDelayMs(request.retry, result.kind, result.retryAfterMs, retry);
      if (wait === undefined) throw result.error;
      if (result.kind === 'unknown') possiblyApplied = true;
      await delay(wait, request.signal);
    }
  }

  #retryDelayMs(
    mode: RetryMode,
    kind: FailureKind,
    retryAfterMs: number | undefined,
    retry: number,
  ): number | undefined {
    const policy = this.#options.retry;
    if (kind === 'final' || mode === 'never' || retry > policy.maxRetries) return undefined;
    if (mode === 'unprocessed' && kind === 'unknown') return undefined;
    // Never earlier than the server asked; a longer wish than our cap is the caller's to honour.
    if (retryAfterMs !== undefined) return retryAfterMs <= policy.maxDelayMs ? retryAfterMs : undefined;
    return backoffDelayMs(policy, retry);
  }

  async #reauthenticate(refused: Headers): Promise<boolean> {
    const onUnauthorized = this.#options.onUnauthorized;
    return onUnauthorized !== undefined && (await onUnauthorized(refused));
  }

  async #attempt(url: string, request: TransportRequest, headers: Headers): Promise<AttemptResult> {
    const timeoutMs = this.#options.timeoutMs + (request.extraTimeoutMs ?? 0);
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = request.signal === undefined ? timeout : AbortSignal.any([request.signal, timeout]);
    setTraceHeaders(headers, request.traceContext);
    for (const [name, value] of Object.entries(request.headers ?? {})) headers.set(name, value);
    const init: RequestInit = { method: request.method, headers, signal };
    if (request.form !== undefined) {
      headers.set('content-type', 'application/x-www-form-urlencoded');
      init.body = new URLSearchParams(request.form).toString();
    } else if (request.body !== undefined) {
      headers.set('content-type', 'application/json');
      init.body = JSON.stringify(request.body);
    }
    let response: Response;
    let text: string;
    try {
      response = await this.#options.fetch(url, init);
      text = await response.text();
    } catch (error) {
      if (request.signal?.aborted === true) throw request.signal.reason;
      if (timeout.aborted) {
        const message = `${request.method} ${url}: no answer within ${timeoutMs} ms`;
        return {
          kind: 'unknown',
          error: new OrchestratorConnectionError(message, { url, timedOut: true, cause: error }),
        };
      }
      const message = `${request.method} ${url}: ${describeNetworkError(error)}`;
      const connectionError = new OrchestratorConnectionError(message, {
        url,
        timedOut: false,
        cause: error,
      });
      return { kind: classifyNetworkError(error), error: connectionError };
    }
    return interpretResponse(response, text, url, request);
  }

  #url(request: TransportRequest): string {
    return this.url(request.path, request.query);
  }

  /** The absolute URL of `path` (below the base URL, percent-encoded) with `query` (undefined values left out). */
  url(path: string, query: Readonly<Record<string, string | number | undefined>> = {}): string {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined) params.set(name, String(value));
    }
    const search = params.toString();
    return `${this.#baseUrl}${path}${search === '' ? '' : `?${search}`}`;
  }
}

function interpretResponse(
  response: Response,
  text: string,
  url: string,
  request: TransportRequest,
): AttemptResult {
  const retryAfterMs = parseRetryAfterMs(response.headers.get('retry-after'));
  if (response.ok) {
    if (request.responseType === 'text') {
      return { kind: 'ok', status: response.status, headers: response.headers, body: text };
    }
    try {
      return {
        kind: 'ok',
        status: response.status,
        headers: response.headers,
        body: text === '' ? null : (JSON.parse(text) as unknown),
      };
    } catch {
      const problem = {
        status: response.status,
        code: 'INVALID_RESPONSE',
        detail: `${url} answered non-JSON`,
      };
      return { kind: 'final', error: new OrchestratorApiError(problem) };
    }
  }
  const error =
    request.mapError?.(response.status, text) ??
    new OrchestratorApiError(toProblem(response.status, text), { retryAfterMs });
  const kind: FailureKind =
    response.status === 429 || response.status === 503
      ? 'refused'
      : response.status === 502 || response.status === 504
        ? 'unknown'
        : 'final';
  return { kind, error, retryAfterMs, status: response.status };
}

/** Reads a problem document, or synthesises one (`HTTP_<status>`) from any other error body. */
export function toProblem(status: number, text: string): Problem {
  try {
    const parsed = JSON.parse(text) as unknown;
    if (
      typeof parsed === 'object' &&
      parsed !== null &&
      typeof (parsed as { code?: unknown }).code === 'string'
    ) {
      return { ...(parsed as Problem), status };
    }
  } catch {
    // Not JSON: a proxy or a crash page.
  }
  const snippet = text.trim().slice(0, 200);
  return { status, code: `HTTP_${status}`, detail: snippet === '' ? `HTTP ${status}` : snippet };
}

function networkCodes(error: unknown): string[] {
  const cause = (error as { cause?: unknown }).cause ?? error;
  const direct = (cause as { code?: unknown }).code;
  if (typeof direct === 'string') return [direct];
  const nested = (cause as { errors?: unknown }).errors;
  if (Array.isArray(nested)) {
    return nested.map((e: unknown) => (e as { code?: unknown }).code).filter((c) => typeof c === 'string');
  }
  return [];
}

function classifyNetworkError(error: unknown): FailureKind {
  const codes = networkCodes(error);
  return codes.length > 0 && codes.every((code) => NOT_SENT_CODES.has(code)) ? 'not_sent' : 'unknown';
}

function describeNetworkError(error: unknown): string {
  const codes = networkCodes(error);
  if (codes.length > 0) return [...new Set(codes)].join(', ');
  // fetch's own "fetch failed" says nothing; its cause says why (a refused port, a bad certificate…).
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Error) return cause.message;
  return error instanceof Error ? error.message : String(error);
}
