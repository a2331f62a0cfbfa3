import { backoffDelayMs, delay } from './backoff.js';
import { OrchestratorConnectionError } from './api-error.js';
import type { RetryOptions } from './http-transport.js';

/** An `orch.event.v1` envelope, as the stream sends it. */
export interface EventEnvelope {
  readonly schema: 'orch.event.v1';
  readonly eventId: string;
  readonly eventType: string;
  readonly occurredAt: string;
  readonly tenantId: string;
  readonly projectId: string | null;
  readonly sourceId: string | null;
  readonly jobId: string | null;
  readonly runId: string | null;
  readonly jobType: string | null;
  readonly attempt: number | null;
  readonly correlationId: string | null;
  readonly idempotencyKey: string | null;
  readonly actor: { readonly subject: string; readonly scopes: readonly string[] } | null;
  readonly job?: {
    readonly id: string;
    readonly type: string;
    readonly runId: string | null;
    readonly attempt: number;
    readonly leaseId: string | null;
    readonly workerId: string | null;
    readonly status: string;
    readonly reason: string | null;
    readonly payloadDigest: string | null;
  } | null;
  readonly data?: Record<string, unknown> | null;
  readonly [field: string]: unknown;
}

/** Which events a stream carries (every criterion given must match). */
export interface EventStreamFilter {
  /** Event type prefixes, comma-separated (`job.`, `job.failed,source.`). */
  readonly type?: string;
  readonly jobType?: string;
  readonly source?: string;
  readonly runId?: string;
  readonly jobId?: string;
}

/** Where and how to stream. */
export interface EventStreamOptions {
  /** Stream the events after this position; `'0'` for the start of the log kept; none for new events only. */
  readonly after?: string;
  readonly filter?: EventStreamFilter;
  readonly signal?: AbortSignal;
  /**
   * Reconnect, from the last position received, when the connection drops or the server ends the stream
   * (`slow_consumer`, `shutdown`), or answers 429, 502, 503 or 504. Default true. Refusals (401, 403, 400,
   * 404) are never retried.
   */
  readonly reconnect?: boolean;
  /**
   * Failed attempts in a row, with capped exponential back-off, before the stream gives up (default: the
   * client's `retry.maxRetries`). `Infinity` keeps trying until `signal` aborts.
   */
  readonly maxReconnects?: number;
}

/** What a stream yields: an event, or a notice that events were skipped. */
export type StreamedItem =
  | { readonly kind: 'event'; readonly position: string; readonly event: EventEnvelope }
  | {
      /**
       * The position asked for is older than the log kept: the stream goes on from `oldestPosition`, and
       * what lay between was removed by retention.
       */
      readonly kind: 'position_expired';
      readonly position: string;
      readonly oldestPosition: string;
    }
  | {
      /** The server ended the stream (`slow_consumer`, `shutdown`); with `reconnect`, it resumes from `position`. */
      readonly kind: 'resync';
      readonly position: string;
      readonly reason: string;
    };

/** One server-sent message. */
export interface SseMessage {
  readonly id: string | undefined;
  readonly event: string;
  readonly data: string;
}

/**
 * Splits text/event-stream text into messages (the WHATWG parsing rules the server's output needs: `id`,
 * `event`, `data` fields, comment lines, LF or CRLF line ends). Feed it text as it arrives.
 */
export class SseParser {
  #buffer = '';
  #id: string | undefined;
  #event = '';
  #data: string[] = [];

  /** The messages completed by `text`. */
  push(text: string): SseMessage[] {
    this.#buffer += text;
    const messages: SseMessage[] = [];
    let newline = this.#buffer.search(/\r?\n/);
    while (newline >= 0) {
      const line = this.#buffer.slice(0, newline);
      this.#buffer = this.#buffer.slice(this.#buffer[newline] === '\r' ? newline + 2 : newline + 1);
      const message = this.#line(line);
      if (message !== undefined) messages.push(message);
      newline = this.#buffer.search(/\r?\n/);
    }
    return messages;
  }

  #line(line: string): SseMessage | undefined {
    if (line === '') {
      if (this.#data.length === 0) {
        this.#event = '';
        return undefined;
      }
      const message = {
        id: this.#id,
        event: this.#event === '' ? 'message' : this.#event,
        data: this.#data.join('\n'),
      };
      this.#event = '';
      this.#data = [];
      return message;
    }
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'id') this.#id = value;
    else if (field === 'event') this.#event = value;
    else if (field === 'data') this.#data.push(value);
    return undefined;
  }
}

/** What {@link EventStreamCalls} needs from the client. */
export interface EventStreamDeps {
  /** The absolute URL of an API path with its query. */
  readonly url: (path: string, query: Readonly<Record<string, string | undefined>>) => string;
  /** The headers of an attempt (token, tenant). */
  readonly headers: (signal?: AbortSignal) => Promise<Headers>;
  /** After a 401 to `refused`: whether another token may succeed. */
  readonly unauthorized: (refused: Headers) => Promise<boolean>;
  /** The error of an error answer (a problem document). */
  readonly errorOf: (status: number, text: string) => Error;
  readonly fetch: typeof fetch;
  readonly retry: RetryOptions;
}

/** Answers worth trying again: overloaded, restarting, or a proxy that lost the server. */
const TRANSIENT_STATUSES = new Set([429, 502, 503, 504]);

/** How long to wait before reconnecting after the server ended a stream (its `retry:` advice). */
const RESUME_DELAY_MS = 1_000;

/** The tenant's live event stream (`GET /events`, server-sent events). */
export class EventStreamCalls {
  readonly #deps: EventStreamDeps;

  /** @param deps - how to reach the API (see {@link EventStreamDeps}) */
  constructor(deps: EventStreamDeps) {
    this.#deps = deps;
  }

  /**
   * The tenant's events, as they happen, in log order, each once: across reconnects too, which resume
   * after the last position received (`Last-Event-ID`). Ends when `signal` aborts (then quietly) or, without
   * `reconnect`, when the connection ends.
   *
   * @throws OrchestratorApiError when the server refuses the stream (no retry); OrchestratorConnectionError
   *   when it cannot be reached after the client's retries
   */
  async *stream(options: EventStreamOptions = {}): AsyncGenerator<StreamedItem> {
    // Aborted by the caller's signal, and when the caller stops iterating: the connection closes either way.
    const connection = new AbortController();
    const abort = (): void => {
      connection.abort();
    };
    if (options.signal?.aborted === true) return;
    options.signal?.addEventListener('abort', abort);
    try {
      yield* this.#follow(options, connection.signal);
    } finally {
      options.signal?.removeEventListener('abort', abort);
      connection.abort();
    }
  }

  async *#follow(options: EventStreamOptions, signal: AbortSignal): AsyncGenerator<StreamedItem> {
    const reconnect = options.reconnect !== false;
    const maxFailures = options.maxReconnects ?? this.#deps.retry.maxRetries;
    let position = options.after;
    let failures = 0;
    let reauthenticated = false;
    while (!signal.aborted) {
      let response: Response;
      let headers: Headers;
      try {
        headers = await this.#deps.headers(signal);
        headers.set('accept', 'text/event-stream');
        if (position !== undefined) headers.set('last-event-id', position);
        const query = { ...options.filter, ...(position === undefined ? {} : { after: position }) };
        response = await this.#deps.fetch(this.#deps.url('/events', query), { headers, signal });
      } catch (error) {
        if (signal.aborted) return;
        await this.#backOff(this.#unreachable(error), ++failures, reconnect ? maxFailures : 0, signal);
        continue;
      }
      if (!response.ok) {
        const text = await response.text();
        if (response.status === 401 && !reauthenticated && (await this.#deps.unauthorized(headers))) {
          reauthenticated = true;
          continue;
        }
        const error = this.#deps.errorOf(response.status, text);
        // Busy, restarting or behind a proxy that lost it: try again; any other refusal is final.
        if (!TRANSIENT_STATUSES.has(response.status)) throw error;
        await this.#backOff(error, ++failures, reconnect ? maxFailures : 0, signal);
        continue;
      }
      reauthenticated = false;
      let ended = false;
      try {
        for await (const item of this.#messages(response)) {
          failures = 0;
          if (item.kind !== 'position_expired') position = item.position;
          if (item.kind === 'resync') ended = true;
          if (item.kind !== 'subscribed') yield item;
        }
      } catch (error) {
        if (signal.aborted) return;
        // A dropped connection: resume from the last position received.
        await this.#backOff(this.#unreachable(error), ++failures, reconnect ? maxFailures : 0, signal);
        continue;
      }
      if (!reconnect) return;
      await this.#pause(ended ? RESUME_DELAY_MS : backoffDelayMs(this.#deps.retry, 1), signal);
    }
  }

  async *#messages(
    response: Response,
  ): AsyncGenerator<StreamedItem | { readonly kind: 'subscribed'; readonly position: string }> {
    if (response.body === null) return;
    const parser = new SseParser();
    const decoder = new TextDecoder();
    for await (const bytes of response.body as AsyncIterable<Uint8Array>) {
      for (const message of parser.push(decoder.decode(bytes, { stream: true }))) {
        const data = JSON.parse(message.data) as Record<string, unknown>;
        const text = (value: unknown): string => (typeof value === 'string' ? value : '');
        const position = message.id ?? text(data['position']);
        if (message.event === 'subscribed') yield { kind: 'subscribed', position };
        else if (message.event === 'resync' && data['reason'] === 'position_expired') {
          yield { kind: 'position_expired', position, oldestPosition: text(data['oldestPosition']) };
        } else if (message.event === 'resync') {
          yield { kind: 'resync', position, reason: text(data['reason']) };
        } else yield { kind: 'event', position, event: data as unknown as EventEnvelope };
      }
    }
  }

  /** After the `failures`-th failure in a row: `error` when no attempt is left, else the back-off. */
  async #backOff(error: Error, failures: number, maxFailures: number, signal: AbortSignal): Promise<void> {
    if (failures > maxFailures) throw error;
    await this.#pause(backoffDelayMs(this.#deps.retry, failures), signal);
  }

  #unreachable(error: unknown): OrchestratorConnectionError {
    const url = this.#deps.url('/events', {});
    const reason = error instanceof Error ? error.message : String(error);
    return new OrchestratorConnectionError(`GET ${url}: ${reason}`, { url, timedOut: false, cause: error });
  }

  async #pause(ms: number, signal: AbortSignal): Promise<void> {
    try {
      await delay(ms, signal);
    } catch {
      // Aborted: the loop ends.
    }
  }
}
