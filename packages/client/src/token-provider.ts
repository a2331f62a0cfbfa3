import { tokenRequestForm, type ClientCredentials } from './client-credentials.js';
import { HttpTransport, type RetryOptions } from './http-transport.js';
import { TokenRequestError } from './token-request-error.js';

/** An access token and when to stop using it. */
export interface IssuedToken {
  readonly accessToken: string;
  /** The granted scopes, space-separated, as the Authority answered them. */
  readonly scope: string | undefined;
  /** The tenant the token is for, as the Authority answered it. */
  readonly tenant: string | undefined;
  /** Epoch milliseconds after which the token is fetched anew (`Infinity` without a stated lifetime). */
  readonly refreshAt: number;
  /** Epoch milliseconds at which the token expires (`Infinity` without a stated lifetime). */
  readonly expiresAt: number;
}

/** Settings of {@link ClientCredentialsTokenProvider}. */
export interface TokenProviderOptions {
  readonly credentials: ClientCredentials;
  /** The token endpoint's absolute URL. */
  readonly tokenUrl: string;
  /** The tenant asked for when `credentials.tenant` is not set. */
  readonly tenant?: string | undefined;
  readonly fetch: typeof fetch;
  readonly retry: RetryOptions;
  readonly timeoutMs: number;
  /** The clock; `Date.now` by default. */
  readonly now?: () => number;
}

/** The longest a token is refreshed ahead of its expiry. */
const MAX_REFRESH_MARGIN_MS = 60_000;
/** The share of a token's lifetime it is refreshed ahead of its expiry, if that is under a minute. */
const REFRESH_MARGIN_SHARE = 0.2;

/**
 * Gets access tokens with the client credentials grant (RFC 6749 §4.4) and keeps the current one.
 *
 * - A token is fetched on first use, not before, and reused until 20 % of its lifetime (at most a minute)
 *   is left; then the next caller fetches a new one. If that fails transiently while the old token is still
 *   valid, the old one is used.
 * - Concurrent callers share one token request.
 * - Network errors, timeouts, 429, 502, 503 and 504 are retried under the client's retry settings (a 500
 *   is not, as for every call of the client); a refusal — any other 4xx answer: `invalid_client`,
 *   `invalid_scope`, `invalid_request`, … — rejects at once with {@link TokenRequestError}.
 * - The secret goes only into the token request's body: it is in no error and no log line.
 */
export class ClientCredentialsTokenProvider {
  readonly #form: Readonly<Record<string, string>>;
  readonly #secret: string;
  readonly #tokenUrl: string;
  readonly #path: string;
  readonly #transport: HttpTransport;
  readonly #now: () => number;
  #current: IssuedToken | undefined;
  #pending: Promise<IssuedToken> | undefined;

  /** @param options - the credentials, the token endpoint, and the transport settings */
  constructor(options: TokenProviderOptions) {
    const url = new URL(options.tokenUrl);
    this.#form = tokenRequestForm(options.credentials, options.credentials.tenant ?? options.tenant);
    this.#secret = options.credentials.clientSecret;
    this.#tokenUrl = url.href;
    this.#path = `${url.pathname}${url.search}`;
    this.#transport = new HttpTransport({
      baseUrl: url.origin,
      fetch: options.fetch,
      retry: options.retry,
      timeoutMs: options.timeoutMs,
      headers: () => Promise.resolve(new Headers({ accept: 'application/json' })),
    });
    this.#now = options.now ?? Date.now;
  }

  /**
   * The current access token, fetched first if there is none or it is due for refresh.
   * @throws TokenRequestError when the Authority refuses; OrchestratorConnectionError or
   *   OrchestratorApiError (429, 502–504) when it cannot be reached; the signal's reason on abort
   */
  async getToken(signal?: AbortSignal): Promise<string> {
    return (await this.getIssuedToken(signal)).accessToken;
  }

  /** Like {@link getToken}, with the token's scope, tenant and lifetime. */
  async getIssuedToken(signal?: AbortSignal): Promise<IssuedToken> {
    const current = this.#current;
    const now = this.#now();
    if (current !== undefined && now < current.refreshAt) return current;
    try {
      return await untilAborted(this.#refresh(), signal);
    } catch (error) {
      const unreachable = !(error instanceof TokenRequestError) && signal?.aborted !== true;
      if (unreachable && current !== undefined && this.#now() < current.expiresAt) return current;
      throw error;
    }
  }

  /**
   * Forgets `token` after the API refused it (401), so that the next {@link getToken} fetches a new one.
   * A token other than the current one (already replaced by another caller) is left alone.
   */
  invalidate(token: string): void {
    if (this.#current?.accessToken === token) this.#current = undefined;
  }

  /** The one token request under way, started if there is none. */
  #refresh(): Promise<IssuedToken> {
    if (this.#pending === undefined) {
      const pending = this.#request().finally(() => {
        this.#pending = undefined;
      });
      // Callers may all have given up waiting; the outcome is still kept (or dropped) quietly.
      pending.catch(() => undefined);
      this.#pending = pending;
    }
    return this.#pending;
  }

  async #request(): Promise<IssuedToken> {
    const sentAt = this.#now();
    const { body } = await this.#transport.request<unknown>({
      method: 'POST',
      path: this.#path,
      form: this.#form,
      retry: 'always',
      anonymous: true,
      mapError: (status, text) => this.#refusal(status, text),
    });
    const issued = issuedToken(body, sentAt, this.#tokenUrl);
    this.#current = issued;
    return issued;
  }

  /**
   * A 4xx answer is a refusal; 429 and 5xx stay `OrchestratorApiError`s (retried as the transport's policy
   * says, then read as unavailable or as a server error).
   */
  #refusal(status: number, text: string): Error | undefined {
    if (status === 429 || status < 400 || status >= 500) return undefined;
    const body = parseObject(text);
    const error = stringField(body, 'error') ?? stringField(body, 'code') ?? `http_${status}`;
    const description =
      stringField(body, 'error_description') ??
      stringField(body, 'detail') ??
      (body === undefined ? text.trim().slice(0, 200) : '');
    return new TokenRequestError({ status, error, error_description: this.#redact(description) });
  }

  /** A server echoing what it was sent must not put the secret into an error message. */
  #redact(text: string): string {
    return this.#secret === '' ? text : text.replaceAll(this.#secret, '[redacted]');
  }
}

/** Reads a token answer. @throws TokenRequestError `invalid_response` for an answer without a token */
function issuedToken(body: unknown, sentAt: number, tokenUrl: string): IssuedToken {
  const object = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const accessToken = stringField(object, 'access_token');
  if (accessToken === undefined || accessToken === '') {
    throw new TokenRequestError({
      status: 200,
      error: 'invalid_response',
      error_description: `${tokenUrl} answered without an access_token`,
    });
  }
  const expiresIn = object['expires_in'];
  const lifetimeMs =
    typeof expiresIn === 'number' && Number.isFinite(expiresIn) && expiresIn > 0
      ? expiresIn * 1000
      : Number.POSITIVE_INFINITY;
  const margin = Math.min(MAX_REFRESH_MARGIN_MS, lifetimeMs * REFRESH_MARGIN_SHARE);
  return {
    accessToken,
    scope: stringField(object, 'scope'),
    tenant: stringField(object, 'tenant'),
    refreshAt: sentAt + lifetimeMs - margin,
    expiresAt: sentAt + lifetimeMs,
  };
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function stringField(object: Record<string, unknown> | undefined, name: string): string | undefined {
  const value = object?.[name];
  return typeof value === 'string' ? value : undefined;
}

/** `promise`, or the signal's reason as soon as it aborts (the promise itself goes on). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      // The caller's own abort reason is passed on as given, as fetch does.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      reject(signal.reason);
    };
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        reject(error);
      },
    );
  });
}
