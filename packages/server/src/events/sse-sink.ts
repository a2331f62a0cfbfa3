import type { ServerResponse } from 'node:http';
import { encodeEventPosition, type EventPosition } from '@stella-orch/core';
import type { EventRun } from './event-chunk.js';
import type { EventSink, ResyncReason } from './event-sink.js';

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
 */
export class SseSink implements EventSink {
  readonly #response: ServerResponse;

  /** @param response - a response whose head is not written yet */
  constructor(response: ServerResponse) {
    this.#response = response;
    response.writeHead(200, SSE_HEADERS);
    // Ask the client to wait a second before reconnecting.
    response.write('retry: 1000\n\n');
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
    this.#response.write(message('subscribed', token, JSON.stringify({ position: token })));
  }

  /** @inheritdoc */
  send(runs: readonly EventRun[]): void {
    // Writes of one tick leave in one system call (the response corks its socket until the next tick);
    // the shared bytes are never copied.
    for (const run of runs) this.#response.write(run.chunk.sse(run.from, run.to));
  }

  /** @inheritdoc */
  positionExpired(position: EventPosition, oldest: EventPosition): void {
    const token = encodeEventPosition(position);
    const data = { position: token, reason: 'position_expired', oldestPosition: encodeEventPosition(oldest) };
    this.#response.write(message('resync', token, JSON.stringify(data)));
  }

  /** @inheritdoc */
  heartbeat(): void {
    if (!this.closed) this.#response.write(': keep-alive\n\n');
  }

  /** @inheritdoc */
  resync(position: EventPosition, reason: ResyncReason): void {
    if (this.closed) return;
    const token = encodeEventPosition(position);
    this.#response.end(message('resync', token, JSON.stringify({ position: token, reason })));
    const timer = setTimeout(() => this.#response.destroy(), END_GRACE_MS);
    timer.unref();
    this.#response.once('close', () => {
      clearTimeout(timer);
    });
  }

  /** @inheritdoc */
  end(): void {
    if (!this.closed) this.#response.end();
  }

  /** @inheritdoc */
  onClose(listener: () => void): void {
    this.#response.once('close', listener);
  }
}
