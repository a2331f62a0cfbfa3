import type { ServerResponse } from 'node:http';
import { encodeEventPosition, type EventPosition } from '@stella-orch/core';
import type { EventRun } from './event-chunk.js';
import type { EventSink, ResyncReason } from './event-sink.js';
import { deflateSegment, GzipStream } from './gzip-stream.js';

/** The headers of an event stream (the proxy hint turns off response buffering in nginx). */
export const SSE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  // A stream is one response: its connection is not reused after it (nor kept open by it at shutdown).
  connection: 'close',
  'x-accel-buffering': 'no',
};

/** How long a response that ended with `resync` may take to flush before its socket is destroyed. */
const END_GRACE_MS = 10_000;

/** An SSE message (`id:` the position, `event:` the type, `data:` one line of JSON). */
function message(event: string, id: string, data: string): string {
  return `id: ${id}\nevent: ${event}\ndata: ${data}\n\n`;
}

/**
 * Server-sent events (text/event-stream) on a raw HTTP response: `id:` is the event's position (what
 * `Last-Event-ID` sends back on a reconnect), `event:` its type, `data:` its envelope. Control messages:
 * `subscribed` (first) and `resync` (last); keep-alives are comment lines.
 *
 * With `gzip`, the response is one gzip stream (`Content-Encoding: gzip`) made of segments that each
 * decode on arrival: a batch of events is compressed once for every subscriber that writes it whole
 * (see `EventChunk.sseDeflated`), and the stream ends, when the server ends it, with a valid trailer.
 */
export class SseSink implements EventSink {
  readonly #response: ServerResponse;
  readonly #gzip: GzipStream | null;

  /**
   * @param response - a response whose head is not written yet
   * @param options - `gzip`: compress the stream (the client accepts it)
   */
  constructor(response: ServerResponse, options: { readonly gzip?: boolean } = {}) {
    this.#response = response;
    this.#gzip = options.gzip === true ? new GzipStream() : null;
    if (this.#gzip === null) response.writeHead(200, SSE_HEADERS);
    else {
      response.writeHead(200, { ...SSE_HEADERS, 'content-encoding': 'gzip', vary: 'accept-encoding' });
      response.write(this.#gzip.header());
    }
    // Ask the client to wait a second before reconnecting.
    this.#writeText('retry: 1000\n\n');
  }

  /** Writes a message made for this stream alone. */
  #writeText(text: string): void {
    if (this.#gzip === null) this.#response.write(text);
    else this.#response.write(this.#gzip.add(deflateSegment(Buffer.from(text))));
  }

  /** Ends the response, after `text` when given. */
  #end(text?: string): void {
    if (this.#gzip === null) {
      this.#response.end(text);
      return;
    }
    if (text !== undefined) this.#writeText(text);
    this.#response.end(this.#gzip.end());
  }

  /** @inheritdoc */
  get bufferedBytes(): number {
    return this.#response.writableLength;
  }

  /** @inheritdoc */
  get closed(): boolean {
    return this.#response.destroyed || this.#response.writableEnded;
  }

  /** @inheritdoc */
  subscribed(position: EventPosition): void {
    const token = encodeEventPosition(position);
    this.#writeText(message('subscribed', token, JSON.stringify({ position: token })));
  }

  /** @inheritdoc */
  send(runs: readonly EventRun[]): void {
    // Writes of one tick leave in one system call (the response corks its socket until the next tick);
    // the shared bytes are never copied.
    const gzip = this.#gzip;
    for (const run of runs) {
      if (gzip === null) this.#response.write(run.chunk.sse(run.from, run.to));
      else this.#response.write(gzip.add(run.chunk.sseDeflated(run.from, run.to)));
    }
  }

  /** @inheritdoc */
  positionExpired(position: EventPosition, oldest: EventPosition): void {
    const token = encodeEventPosition(position);
    const data = { position: token, reason: 'position_expired', oldestPosition: encodeEventPosition(oldest) };
    this.#writeText(message('resync', token, JSON.stringify(data)));
  }

  /** @inheritdoc */
  heartbeat(): void {
    if (!this.closed) this.#writeText(': keep-alive\n\n');
  }

  /** @inheritdoc */
  resync(position: EventPosition, reason: ResyncReason): void {
    if (this.closed) return;
    const token = encodeEventPosition(position);
    this.#end(message('resync', token, JSON.stringify({ position: token, reason })));
    const timer = setTimeout(() => this.#response.destroy(), END_GRACE_MS);
    timer.unref();
    this.#response.once('close', () => {
      clearTimeout(timer);
    });
  }

  /** @inheritdoc */
  end(): void {
    if (!this.closed) this.#end();
  }

  /** @inheritdoc */
  onClose(listener: () => void): void {
    this.#response.once('close', listener);
  }
}
