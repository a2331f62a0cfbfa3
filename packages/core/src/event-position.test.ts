import { describe, expect, it } from 'vitest';
import { OrchestratorError } from './errors.js';
import {
  compareEventPositions,
  decodeEventPosition,
  encodeEventPosition,
  START_POSITION,
  START_POSITION_TOKEN,
} from './event-position.js';

describe('event positions', () => {
  it('encode as 32 hex digits, transaction id first, and decode back', () => {
    const position = { txId: 0x2f1n, eventId: 0x10n };
    const token = encodeEventPosition(position);
    expect(token).toBe('00000000000002f10000000000000010');
    expect(decodeEventPosition(token)).toEqual(position);
    const max = (1n << 64n) - 1n;
    expect(decodeEventPosition(encodeEventPosition({ txId: max, eventId: max }))).toEqual({
      txId: max,
      eventId: max,
    });
  });

  it('sort as text in log order', () => {
    const positions = [
      { txId: 9n, eventId: 100n },
      { txId: 10n, eventId: 1n },
      { txId: 10n, eventId: 2n },
      { txId: 0x100n, eventId: 0n },
    ];
    const tokens = positions.map(encodeEventPosition);
    expect([...tokens].sort()).toEqual(tokens);
    for (let i = 1; i < positions.length; i++) {
      expect(compareEventPositions(positions[i - 1]!, positions[i]!)).toBe(-1);
      expect(compareEventPositions(positions[i]!, positions[i - 1]!)).toBe(1);
    }
    expect(compareEventPositions(positions[0]!, { ...positions[0]! })).toBe(0);
  });

  it('name the start of the log "0"', () => {
    expect(decodeEventPosition(START_POSITION_TOKEN)).toBe(START_POSITION);
    expect(encodeEventPosition(START_POSITION)).toBe('0'.repeat(32));
    expect(decodeEventPosition('0'.repeat(32))).toEqual(START_POSITION);
  });

  it('refuse anything this server did not issue with INVALID_CURSOR', () => {
    for (const bad of ['', '1', 'x'.repeat(32), '0'.repeat(31), '0'.repeat(33), 'A'.repeat(32)]) {
      expect(() => decodeEventPosition(bad)).toThrow(OrchestratorError);
      try {
        decodeEventPosition(bad);
      } catch (error) {
        expect((error as OrchestratorError).code).toBe('INVALID_CURSOR');
      }
    }
  });

  it('refuse to encode parts outside 64 bits', () => {
    expect(() => encodeEventPosition({ txId: -1n, eventId: 0n })).toThrow(RangeError);
    expect(() => encodeEventPosition({ txId: 0n, eventId: 1n << 64n })).toThrow(RangeError);
  });
});
