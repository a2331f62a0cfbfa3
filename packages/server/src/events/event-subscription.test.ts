import {
  compareEventPositions,
  matchesEventFilter,
  silentLogger,
  START_POSITION,
  toEventEnvelope,
  type EventBatch,
  type EventLog,
  type EventPosition,
  type PositionedEvent,
  type ReadEventsQuery,
} from '@stella-orch/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { EventRun } from './event-chunk.js';
import type { EventSink, ResyncReason } from './event-sink.js';
import { EventHub } from './event-hub.js';
import { DEFAULT_EVENTS_CONFIG } from '../events-config.js';

/** An in-memory log of one tenant. */
class MemoryLog implements EventLog {
  events: PositionedEvent[] = [];
  reads = 0;

  add(count: number, eventType = 'job.created'): void {
    for (let i = 0; i < count; i++) {
      const n = this.events.length + 1 + this.pruned;
      const position = { txId: BigInt(n), eventId: BigInt(n) };
      this.events.push({
        position,
        event: toEventEnvelope({
          position,
          eventId: String(n),
          eventType,
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
      });
    }
  }

  pruned = 0;
  prune(count: number): void {
    this.events = this.events.slice(count);
    this.pruned += count;
  }

  async readEvents(query: ReadEventsQuery): Promise<EventBatch> {
    this.reads++;
    await Promise.resolve();
    const after = query.after ?? START_POSITION;
    const window = this.events
      .filter((e) => compareEventPositions(e.position, after) > 0)
      .slice(0, query.limit);
    return {
      events: window.filter((e) => query.filter === undefined || matchesEventFilter(e.event, query.filter)),
      position: window.at(-1)?.position ?? after,
      more: window.length === query.limit,
    };
  }

  getLatestPosition(): Promise<EventPosition> {
    return Promise.resolve(this.events.at(-1)?.position ?? START_POSITION);
  }

  getOldestPosition(): Promise<EventPosition | null> {
    return Promise.resolve(this.events[0]?.position ?? null);
  }

  listEventTenants(): Promise<string[]> {
    return Promise.resolve(['t']);
  }

  pruneEvents(): Promise<number> {
    return Promise.resolve(0);
  }
}

/** A sink that records what it got; `bufferedBytes` is set by the test. */
class RecordingSink implements EventSink {
  bufferedBytes = 0;
  closed = false;
  readonly ids: number[] = [];
  start: EventPosition | undefined;
  ending: { position: EventPosition; reason: ResyncReason } | undefined;
  expired: { position: EventPosition; oldest: EventPosition }[] = [];
  heartbeats = 0;
  #onClose: (() => void)[] = [];

  subscribed(position: EventPosition): void {
    this.start = position;
  }
  send(runs: readonly EventRun[]): void {
    for (const { chunk, from, to } of runs) {
      this.ids.push(...chunk.events.slice(from, to).map((event) => Number(event.eventId)));
    }
  }
  positionExpired(position: EventPosition, oldest: EventPosition): void {
    this.expired.push({ position, oldest });
  }
  heartbeat(): void {
    this.heartbeats++;
  }
  resync(position: EventPosition, reason: ResyncReason): void {
    this.ending = { position, reason };
    this.closed = true;
  }
  end(): void {
    this.closed = true;
  }
  onClose(listener: () => void): void {
    this.#onClose.push(listener);
  }
  leave(): void {
    this.closed = true;
    for (const listener of this.#onClose) listener();
  }
}

const CONFIG = {
  ...DEFAULT_EVENTS_CONFIG,
  pollIntervalMs: 5,
  readBatchSize: 10,
  feedBufferEvents: 20,
  heartbeatIntervalMs: 10,
  maxBufferedBytes: 100,
  slowConsumerGraceMs: 50,
};

async function until(done: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('EventHub and its subscriptions', () => {
  const hubs: EventHub[] = [];
  const hubOn = (log: EventLog, wakes?: ((tenantId: string) => void)[]) => {
    const hub = new EventHub(
      {
        log,
        logger: silentLogger,
        ...(wakes === undefined
          ? {}
          : {
              onWake: (listener: (tenantId: string) => void) => {
                wakes.push(listener);
                return () => undefined;
              },
            }),
      },
      CONFIG,
    );
    hubs.push(hub);
    return hub;
  };
  afterEach(async () => {
    for (const hub of hubs.splice(0)) await hub.close();
  });

  it('catches up from the log behind the ring, then follows the feed, each event once, filtered', async () => {
    const log = new MemoryLog();
    log.add(45);
    const hub = hubOn(log);
    const sink = new RecordingSink();
    const streaming = hub.stream({ tenantId: 't', after: START_POSITION, filter: {}, sink });
    const filtered = new RecordingSink();
    void hub.stream({
      tenantId: 't',
      after: START_POSITION,
      filter: { types: ['job.failed'] },
      sink: filtered,
    });
    await until(() => sink.ids.length === 45);
    log.add(30);
    log.add(2, 'job.failed');
    await until(() => sink.ids.length === 77);
    expect(sink.ids).toEqual(range(1, 77));
    await until(() => filtered.ids.length === 2);
    expect(filtered.ids).toEqual([76, 77]);
    expect(hub.subscribers).toBe(2);
    sink.leave();
    await streaming;
    expect(hub.subscribers).toBe(1);
  });

  it('starts at the end of the log without a position, and keeps the idle stream alive', async () => {
    const log = new MemoryLog();
    log.add(5);
    const wakes: ((tenantId: string) => void)[] = [];
    const hub = hubOn(log, wakes);
    const sink = new RecordingSink();
    void hub.stream({ tenantId: 't', after: null, filter: {}, sink });
    await until(() => sink.start !== undefined);
    expect(sink.start).toEqual(log.events[4]!.position);
    log.add(1);
    for (const wake of wakes) wake('t');
    await until(() => sink.ids.length === 1);
    expect(sink.ids).toEqual([6]);
    await until(() => sink.heartbeats >= 2);
  });

  it('reads the log at most once per minPollIntervalMs under a storm of wake-ups, and at once after a lull', async () => {
    const log = new MemoryLog();
    const wakes: ((tenantId: string) => void)[] = [];
    const hub = new EventHub(
      {
        log,
        logger: silentLogger,
        onWake: (listener) => {
          wakes.push(listener);
          return () => undefined;
        },
      },
      {
        ...CONFIG,
        minPollIntervalMs: 50,
        pollIntervalMs: 5_000,
        readBatchSize: 1_000,
        feedBufferEvents: 1_000,
      },
    );
    hubs.push(hub);
    const sink = new RecordingSink();
    void hub.stream({ tenantId: 't', after: null, filter: {}, sink });
    await until(() => sink.start !== undefined);
    // A busy ledger: an event and a wake-up every millisecond or so, for 500 ms.
    const readsBefore = log.reads;
    const stormEnds = Date.now() + 500;
    while (Date.now() < stormEnds) {
      log.add(1);
      for (const wake of wakes) wake('t');
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    const stormReads = log.reads - readsBefore;
    await until(() => sink.ids.length === log.events.length);
    // 500 ms at one read per 50 ms: about 10 (a timer may fire late, never early); a read per wake-up would be hundreds.
    expect(stormReads).toBeGreaterThanOrEqual(3);
    expect(stormReads).toBeLessThanOrEqual(13);
    // Idle long enough for the wait to have grown: a wake-up still reads at once, not after pollIntervalMs.
    await new Promise((resolve) => setTimeout(resolve, 400));
    const woken = Date.now();
    log.add(1);
    for (const wake of wakes) wake('t');
    await until(() => sink.ids.length === log.events.length);
    expect(Date.now() - woken).toBeLessThan(1_000);
  });

  it('jumps over events retention removed while the subscriber was behind', async () => {
    const log = new MemoryLog();
    const hub = hubOn(log);
    const first = new RecordingSink();
    void hub.stream({ tenantId: 't', after: null, filter: {}, sink: first });
    await until(() => first.start !== undefined);
    log.add(40);
    await until(() => first.ids.length === 40);
    log.prune(35);
    const late = new RecordingSink();
    void hub.stream({ tenantId: 't', after: START_POSITION, filter: {}, sink: late });
    log.add(1);
    await until(() => late.ids.length >= 6);
    expect(late.ids).toEqual(range(36, 41));
  });

  it('says position_expired, naming the oldest event kept, to a stream asked to start before it, and goes on', async () => {
    const log = new MemoryLog();
    log.add(20);
    log.prune(12);
    const hub = hubOn(log);
    const expired = new RecordingSink();
    void hub.stream({ tenantId: 't', after: { txId: 5n, eventId: 5n }, filter: {}, sink: expired });
    await until(() => expired.ids.length === 8);
    expect(expired.expired).toEqual([
      { position: { txId: 5n, eventId: 5n }, oldest: log.events[0]!.position },
    ]);
    expect(expired.ids).toEqual(range(13, 20));
    expect(expired.closed).toBe(false);
    // From a position still kept, or from the start: nothing to say.
    for (const after of [log.events[2]!.position, START_POSITION]) {
      const kept = new RecordingSink();
      void hub.stream({ tenantId: 't', after, filter: {}, sink: kept });
      await until(() => kept.ids.length > 0);
      expect(kept.expired).toEqual([]);
    }
  });

  it('cuts off a sink that stays above its buffer bound for the grace period, at the last position written', async () => {
    const log = new MemoryLog();
    log.add(15);
    const hub = hubOn(log);
    const sink = new RecordingSink();
    const streaming = hub.stream({ tenantId: 't', after: START_POSITION, filter: {}, sink });
    await until(() => sink.ids.length === 15);
    sink.bufferedBytes = 500;
    log.add(5);
    // Drains within the grace: the stream goes on.
    await new Promise((resolve) => setTimeout(resolve, 20));
    sink.bufferedBytes = 0;
    await until(() => sink.ids.length === 20);
    sink.bufferedBytes = 500;
    log.add(5);
    await streaming;
    expect(sink.ending).toEqual({ position: log.events[19]!.position, reason: 'slow_consumer' });
    expect(sink.ids).toEqual(range(1, 20));
  });

  it('ends every stream with resync (shutdown) on close, and a stream asked for after it at once', async () => {
    const log = new MemoryLog();
    log.add(3);
    const hub = hubOn(log);
    const sink = new RecordingSink();
    const streaming = hub.stream({ tenantId: 't', after: START_POSITION, filter: {}, sink });
    await until(() => sink.ids.length === 3);
    await hub.close();
    await streaming;
    expect(sink.ending).toEqual({ position: log.events[2]!.position, reason: 'shutdown' });
    const late = new RecordingSink();
    await hub.stream({ tenantId: 't', after: null, filter: {}, sink: late });
    expect(late.ending).toEqual({ position: log.events[2]!.position, reason: 'shutdown' });
  });

  it('rejects a stream whose start cannot be read, and serves the next one', async () => {
    const log = new MemoryLog();
    let fail = true;
    const latest = log.getLatestPosition.bind(log);
    log.getLatestPosition = () => (fail ? Promise.reject(new Error('down')) : latest());
    const hub = hubOn(log);
    await expect(
      hub.stream({ tenantId: 't', after: null, filter: {}, sink: new RecordingSink() }),
    ).rejects.toThrow('down');
    fail = false;
    const sink = new RecordingSink();
    void hub.stream({ tenantId: 't', after: null, filter: {}, sink });
    await until(() => sink.start !== undefined);
  });
});
