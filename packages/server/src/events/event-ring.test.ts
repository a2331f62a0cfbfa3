import { encodeEventPosition, toEventEnvelope, type PositionedEvent } from '@stella-orch/core';
import { describe, expect, it } from 'vitest';
import { EventRing } from './event-ring.js';

function item(n: number): PositionedEvent {
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
      data: null,
      job: null,
    }),
  };
}

const at = (n: number) => item(n).position;
const ids = (read: { entries: readonly { event: { eventId: string } }[] } | null) =>
  read?.entries.map((e) => Number(e.event.eventId));

describe('EventRing', () => {
  it('reads on after any position it covers, in batches, and says where the read ended', () => {
    const ring = new EventRing(10, at(0));
    expect(ring.after(at(0), 5)).toMatchObject({ entries: [], position: at(0) });
    ring.append([1, 2, 3, 4].map(item), at(4));
    expect(ring.size).toBe(4);
    expect(ids(ring.after(at(0), 2))).toEqual([1, 2]);
    expect(ring.after(at(0), 2)?.position).toEqual(at(2));
    expect(ids(ring.after(at(2), 10))).toEqual([3, 4]);
    expect(ring.after(at(4), 10)).toMatchObject({ entries: [], position: at(4) });
    // A position later than anything held (another replica's): nothing yet, and the position is kept.
    expect(ring.after(at(9), 10)).toMatchObject({ entries: [], position: at(9) });
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
  });

  it('serialises each entry once', () => {
    const ring = new EventRing(5, at(0));
    ring.append([item(1)], at(1));
    const [entry] = ring.after(at(0), 1)!.entries;
    expect(entry!.token).toBe(encodeEventPosition(at(1)));
    expect(entry!.json).toBe(JSON.stringify(entry!.event));
    expect(entry!.json).toBe(entry!.json);
    expect(entry!.sse).toBe(`id: ${entry!.token}\nevent: job.created\ndata: ${entry!.json}\n\n`);
    expect(JSON.parse(entry!.ws.toString())).toEqual({
      type: 'event',
      position: entry!.token,
      event: entry!.event,
    });
  });

  it('encodes a slice once for every reader at the same place, and anew after an append', () => {
    const ring = new EventRing(2, at(0));
    ring.append([item(1), item(2)], at(2));
    const one = ring.after(at(0), 10)!;
    const two = ring.after(at(0), 10)!;
    expect(one.sse()).toBe(two.sse());
    expect(one.sse().toString()).toBe(one.entries.map((e) => e.sse).join(''));
    for (let n = 3; n <= 7; n++) ring.append([item(n)], at(n));
    const later = ring.after(at(5), 10)!;
    expect(ids(later)).toEqual([6, 7]);
    expect(later.sse().toString()).toBe(later.entries.map((e) => e.sse).join(''));
  });
});
