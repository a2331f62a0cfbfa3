import type { EventPosition } from '@stella-orch/core';
import type { RingEntry, RingRead } from './event-ring.js';

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
   * Writes events, in order. `whole` is given when `entries` is a whole read of the ring (nothing filtered
   * out), whose encoding the sink may share with other subscribers.
   */
  send(entries: readonly RingEntry[], whole?: RingRead): void;
  /** A keep-alive. */
  heartbeat(): void;
  /** The last message: where to resume, and why; then the sink ends. */
  resync(position: EventPosition, reason: ResyncReason): void;
  /** Ends the sink without a message (the peer left). */
  end(): void;
  /** Calls `listener` once when the peer goes away. */
  onClose(listener: () => void): void;
}
