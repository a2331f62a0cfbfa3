import { encodeEventPosition, type EventPosition } from '@stella-orch/core';
import type { WebSocket } from '@fastify/websocket';
import type { RingEntry } from './event-ring.js';
import type { EventSink, ResyncReason } from './event-sink.js';

/** `WebSocket.OPEN`. */
const OPEN = 1;

/** Close codes of a stream that ends with `resync`: RFC 6455 "try again later" and "going away". */
const CLOSE_CODES: Readonly<Record<ResyncReason, number>> = { slow_consumer: 1013, shutdown: 1001 };

/**
 * A WebSocket stream: one JSON text message per event, `{"type":"event","position":…,"event":…}`, after
 * `{"type":"subscribed","position":…}`; the last is `{"type":"resync","position":…,"reason":…}`.
 * Keep-alives are ping frames.
 */
export class WebSocketSink implements EventSink {
  readonly #socket: WebSocket;

  /** @param socket - an open WebSocket */
  constructor(socket: WebSocket) {
    this.#socket = socket;
  }

  /** @inheritdoc */
  get bufferedBytes(): number {
    return this.#socket.bufferedAmount;
  }

  /** @inheritdoc */
  get closed(): boolean {
    return this.#socket.readyState !== OPEN;
  }

  /** @inheritdoc */
  subscribed(position: EventPosition): void {
    this.#socket.send(JSON.stringify({ type: 'subscribed', position: encodeEventPosition(position) }));
  }

  /** @inheritdoc */
  send(entries: readonly RingEntry[]): void {
    for (const entry of entries) this.#socket.send(entry.ws, { binary: false });
  }

  /** @inheritdoc */
  heartbeat(): void {
    if (!this.closed) this.#socket.ping();
  }

  /** @inheritdoc */
  resync(position: EventPosition, reason: ResyncReason): void {
    if (this.closed) return;
    this.#socket.send(JSON.stringify({ type: 'resync', position: encodeEventPosition(position), reason }));
    this.#socket.close(CLOSE_CODES[reason], reason);
  }

  /** @inheritdoc */
  end(): void {
    if (!this.closed) this.#socket.close(1000);
  }

  /** @inheritdoc */
  onClose(listener: () => void): void {
    this.#socket.once('close', listener);
  }
}
