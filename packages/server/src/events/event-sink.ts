import type { EventPosition } from '@stella-orch/core';
import type { EventRun } from './event-chunk.js';

/** Why a stream ended with a `resync` message. */
export type ResyncReason = 'slow_consumer' | 'shutdown';

/** Where a subscription writes: an SSE response or a WebSocket. */
export interface EventSink {
  /** Bytes written to the socket and not yet sent. */
  readonly bufferedBytes: number;
  /** Whether the peer is gone (or the sink ended). */
  readonly closed: boolean;
  /** The first message: the position the stream starts after. */
  subscribed(position: EventPosition): void;
  /**
   * Writes events, in order, in one system call: the runs' bytes were serialised once for
   * every subscriber (see `EventChunk`).
   */
  send(runs: readonly EventRun[]): void;
  /**
   * A `resync` message that does not end the stream (reason `position_expired`): the stream asked to
   * start after `position`, which is older than the log kept; it goes on from the oldest event kept,
   * `oldest`. What lay between was removed by retention.
   */
  positionExpired(position: EventPosition, oldest: EventPosition): void;
  /** A keep-alive. */
  heartbeat(): void;
  /** The last message: where to resume, and why; then the sink ends. */
  resync(position: EventPosition, reason: ResyncReason): void;
  /** Ends the sink without a message (the peer left). */
  end(): void;
  /** Calls `listener` once when the peer goes away. */
  onClose(listener: () => void): void;
}
