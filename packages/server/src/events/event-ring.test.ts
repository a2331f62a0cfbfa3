import { encodeEventPosition, toEventEnvelope, type PositionedEvent } from '@stella-orch/core';
import { describe, expect, it } from 'vitest';
import { EventChunk } from './event-chunk.js';
import { EventRing, type RingRead } from './event-ring.js';

function item(n: number, data: Record<string, string> | null = null): PositionedEvent {
  const position = { txId: BigInt(100 + n), eventId: BigInt(n) };
  return {
    position,
    event: toEventEnvelope({
      position,
      eventId: String(n),
      eventType: 'job.created',
      occurredAt: '2026-11-24T10:00:00.000Z',
      tenantId: 't',
      jobId: null,
      attempt: null,
      actor: null,
      actorScopes: null,
      correlationId: null,
      data,
      job: null,
    }),
  };
}

const at = (n: number) => item(n).position;
const ids = (read: RingRead | null) =>
  read?.runs.flatMap(({ chunk, from, to }) => chunk.events.slice(from, to).map((e) => Number(e.eventId)));

/** The WebSocket text frames in `bytes`, unmasked, decoded (RFC 6455 §5.2). */
function frames(bytes: Buffer): unknown[] {
  const messages: unknown[] = [];
  let at = 0;
  while (at < bytes.length) {
    expect(bytes[at]).toBe(0x81);
    let length = bytes[at + 1]!;
    let start = at + 2;
    if (length === 126) {
      length = bytes.readUInt16BE(at + 2);
      start = at + 4;
    } else if (length === 127) {
      length = Number(bytes.readBigUInt64BE(at + 2));
      start = at + 10;
    }
    messages.push(JSON.parse(bytes.subarray(start, start + length).toString('utf8')));
    at = start + length;
  }
  return messages;
}

describe('EventRing', () => {
  it('reads on after any position it covers, in batches, and says where the read ended', () => {
    const ring = new EventRing(10, at(0));
    expect(ring.after(at(0), 5)).toMatchObject({ runs: [], count: 0, position: at(0) });
    ring.append(
      [1, 2, 3].map((n) => item(n)),
      at(3),
    );
    ring.append([item(4)], at(4));
    expect(ring.size).toBe(4);
    // A chunk is read whole, even past `max`: its bytes are shared whole.
    expect(ids(ring.after(at(0), 2))).toEqual([1, 2, 3]);
    expect(ring.after(at(0), 2)).toMatchObject({ count: 3, position: at(3) });
    // A read starting inside a chunk takes the rest of it.
    expect(ids(ring.after(at(1), 1))).toEqual([2, 3]);
    expect(ring.after(at(1), 1)?.runs.map((run) => [run.from, run.to])).toEqual([[1, 3]]);
    // A read spans chunks.
    expect(ids(ring.after(at(2), 10))).toEqual([3, 4]);
    expect(ring.after(at(2), 10)).toMatchObject({ count: 2, position: at(4) });
    expect(ring.after(at(4), 10)).toMatchObject({ runs: [], count: 0, position: at(4) });
    // A position later than anything held (another replica's): nothing yet, and the position is kept.
    expect(ring.after(at(9), 10)).toMatchObject({ runs: [], count: 0, position: at(9) });
    expect(ring.coverTo).toEqual(at(4));
  });

  it('drops the oldest past its capacity, and refuses positions it no longer covers', () => {
    const ring = new EventRing(3, at(0));
    for (let n = 1; n <= 8; n++) ring.append([item(n)], at(n));
    expect(ring.size).toBe(3);
    expect(ring.coverFrom).toEqual(at(5));
    expect(ring.after(at(4), 10)).toBeNull();
    expect(ids(ring.after(at(5), 10))).toEqual([6, 7, 8]);
    ring.append([], at(8));
    expect(ring.coverTo).toEqual(at(8));
    // Part of a chunk is dropped when only part of it is beyond the capacity.
    ring.append(
      [9, 10].map((n) => item(n)),
      at(10),
    );
    expect(ring.coverFrom).toEqual(at(7));
    expect(ids(ring.after(at(7), 10))).toEqual([8, 9, 10]);
    for (let n = 11; n <= 200; n++) ring.append([item(n)], at(n));
    expect(ids(ring.after(at(197), 10))).toEqual([198, 199, 200]);
  });

  it('serialises a chunk once: SSE messages and WebSocket frames shared by every reader', () => {
    const events = [item(1), item(2, { note: 'ünïcödé ✓' }), item(3, { big: 'x'.repeat(70_000) })];
    const chunk = new EventChunk(events);
    const sse = (n: number) =>
      `id: ${encodeEventPosition(at(n))}\nevent: job.created\ndata: ${JSON.stringify(events[n - 1]!.event)}\n\n`;
    expect(chunk.sse(0, 3).toString('utf8')).toBe(sse(1) + sse(2) + sse(3));
    expect(chunk.sse(1, 2).toString('utf8')).toBe(sse(2));
    // The same bytes for every reader: slices of one buffer.
    expect(chunk.sse(0, 2).buffer).toBe(chunk.sse(1, 3).buffer);
    const message = (n: number) => ({
      type: 'event',
      position: encodeEventPosition(at(n)),
      event: JSON.parse(JSON.stringify(events[n - 1]!.event)),
    });
    // Frames with 16-bit and 64-bit lengths (an envelope never fits in 125 bytes).
    expect(frames(chunk.ws(0, 3))).toEqual([message(1), message(2), message(3)]);
    expect(frames(chunk.ws(2, 3))).toEqual([message(3)]);
    expect(chunk.wsMessages(1, 3).map((m) => JSON.parse(m.toString('utf8')))).toEqual([
      message(2),
      message(3),
    ]);
  });
});
