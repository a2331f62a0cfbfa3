import { encodeEventPosition, type EventPosition } from '@stella-orch/core';
import type { Duplex } from 'node:stream';
import type { WebSocket } from '@fastify/websocket';
import type { EventRun } from './event-chunk.js';
import type { EventSink, ResyncReason } from './event-sink.js';

/** `WebSocket.OPEN`. */
const OPEN = 1;

/** Close codes of a stream that ends with `resync`: RFC 6455 "try again later" and "going away". */
const CLOSE_CODES: Readonly<Record<ResyncReason, number>> = { slow_consumer: 1013, shutdown: 1001 };

/**
 * The TCP socket under a WebSocket, when whole frames made elsewhere may be written to it: the `ws`
 * library writes each frame synchronously and whole when no extension (compression) was negotiated, so
 * frames written between its own never interleave with them, and its `bufferedAmount` counts them.
 */
function rawSocketOf(socket: WebSocket): Duplex | null {
  if (socket.extensions !== '') return null;
  const raw = (socket as unknown as { _socket?: Duplex | null })._socket;
  return raw === undefined || raw === null || typeof raw.write !== 'function' ? null : raw;
}

/**
 * A WebSocket stream: one JSON text message per event, `{"type":"event","position":…,"event":…}`, after
 * `{"type":"subscribed","position":…}`; the last is `{"type":"resync","position":…,"reason":…}`.
 * Keep-alives are ping frames. The events' frames are made once for every subscriber (see `EventChunk`)
 * and a batch goes to the socket in one write.
 */
export class WebSocketSink implements EventSink {
  readonly #socket: WebSocket;
  readonly #raw: Duplex | null;

  /** @param socket - an open WebSocket */
  constructor(socket: WebSocket) {
    this.#socket = socket;
    this.#raw = rawSocketOf(socket);
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
  send(runs: readonly EventRun[]): void {
    if (this.#raw === null) {
      for (const run of runs) {
        for (const message of run.chunk.wsMessages(run.from, run.to))
          this.#socket.send(message, { binary: false });
      }
      return;
    }
    // One system call for the batch; the shared frames are never copied.
    const raw = this.#raw;
    raw.cork();
    for (const run of runs) raw.write(run.chunk.ws(run.from, run.to));
    raw.uncork();
  }

  /** @inheritdoc */
  positionExpired(position: EventPosition, oldest: EventPosition): void {
    this.#socket.send(
      JSON.stringify({
        type: 'resync',
        position: encodeEventPosition(position),
        reason: 'position_expired',
        oldestPosition: encodeEventPosition(oldest),
      }),
    );
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
