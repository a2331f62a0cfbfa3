import { OrchestratorError } from './errors.js';

/**
 * A place in a tenant's event log: the id of the transaction that wrote an event, then the event's id. The
 * log is read in this order, and only up to the oldest transaction still in progress, so every event that
 * commits later sorts after every position already handed out (docs/decisions/0009-event-log-and-streams.md).
 */
export interface EventPosition {
  /** The writing transaction's id (`xid8`, 64 bits). */
  readonly txId: bigint;
  /** The event's identity. */
  readonly eventId: bigint;
}

/** Before the first event of every log: reading after it reads the log from its start. */
export const START_POSITION: EventPosition = { txId: 0n, eventId: 0n };

/** How a client names {@link START_POSITION}. */
export const START_POSITION_TOKEN = '0';

const MAX_64 = (1n << 64n) - 1n;
const HEX_DIGITS = 16;
const TOKEN_PATTERN = /^[0-9a-f]{32}$/;

/**
 * The opaque token of a position: 32 lower-case hex digits (the transaction id, then the event id, 16
 * each), so tokens of one tenant sort as text in log order.
 * @throws RangeError for a part outside 0 … 2^64 − 1 (a programming error)
 */
export function encodeEventPosition(position: EventPosition): string {
  for (const part of [position.txId, position.eventId]) {
    if (part < 0n || part > MAX_64) throw new RangeError(`an event position part is out of range: ${part}`);
  }
  return (
    position.txId.toString(16).padStart(HEX_DIGITS, '0') +
    position.eventId.toString(16).padStart(HEX_DIGITS, '0')
  );
}

/**
 * Reads a token made by {@link encodeEventPosition}, or {@link START_POSITION_TOKEN} (`0`).
 * @throws OrchestratorError `INVALID_CURSOR` for anything else
 */
export function decodeEventPosition(token: string): EventPosition {
  if (token === START_POSITION_TOKEN) return START_POSITION;
  if (!TOKEN_PATTERN.test(token)) {
    throw new OrchestratorError('INVALID_CURSOR', 'the event position is not one this server issued', {
      details: { position: token.slice(0, 64) },
    });
  }
  return {
    txId: BigInt(`0x${token.slice(0, HEX_DIGITS)}`),
    eventId: BigInt(`0x${token.slice(HEX_DIGITS)}`),
  };
}

/** Negative when `a` comes before `b` in the log, 0 when they are the same place, positive after. */
export function compareEventPositions(a: EventPosition, b: EventPosition): number {
  if (a.txId !== b.txId) return a.txId < b.txId ? -1 : 1;
  if (a.eventId !== b.eventId) return a.eventId < b.eventId ? -1 : 1;
  return 0;
}
