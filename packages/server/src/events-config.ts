import { ConfigError } from './config-error.js';

/** The `events` section of the configuration: the event log's retention and the live streams. */
export interface EventsConfig {
  /** Events older than this are removed; 0 keeps every event. */
  readonly retentionHours: number;
  /** How often retention runs. */
  readonly pruneIntervalMs: number;
  /** Events one retention statement removes at most (per tenant, repeated until done). */
  readonly pruneBatchSize: number;
  /**
   * How often a tenant's live feed looks for new events when the log is idle and nothing woke it: the
   * longest wait between two reads.
   */
  readonly pollIntervalMs: number;
  /**
   * The wait after a read that found events (a busy log); each read that finds nothing doubles it, up to
   * `pollIntervalMs`. A read that filled its batch is followed by the next at once. It is also the least
   * wait between two reads when wake-ups (submitted work) cut a wait short.
   */
  readonly minPollIntervalMs: number;
  /** Events one read of the log goes through at most. */
  readonly readBatchSize: number;
  /** Recent events each tenant's live feed keeps in memory for its subscribers. */
  readonly feedBufferEvents: number;
  /** Between two keep-alives of an idle stream (an SSE comment, a WebSocket ping). */
  readonly heartbeatIntervalMs: number;
  /**
   * A stream writes nothing more while its socket holds more than this many bytes not yet sent; a
   * subscriber whose socket stays above it for `slowConsumerGraceMs` is cut off with a `resync` message
   * naming the position to resume from.
   */
  readonly maxBufferedBytes: number;
  readonly slowConsumerGraceMs: number;
}

export const DEFAULT_EVENTS_CONFIG: EventsConfig = {
  retentionHours: 168,
  pruneIntervalMs: 60_000,
  pruneBatchSize: 5_000,
  pollIntervalMs: 100,
  minPollIntervalMs: 20,
  readBatchSize: 500,
  feedBufferEvents: 10_000,
  heartbeatIntervalMs: 15_000,
  maxBufferedBytes: 1_048_576,
  slowConsumerGraceMs: 5_000,
};

/** The bounds of each key: [min, max]. */
const BOUNDS: Readonly<Record<keyof EventsConfig, readonly [number, number]>> = {
  retentionHours: [0, 87_600],
  pruneIntervalMs: [1_000, 86_400_000],
  pruneBatchSize: [1, 100_000],
  pollIntervalMs: [10, 60_000],
  minPollIntervalMs: [1, 60_000],
  readBatchSize: [1, 5_000],
  feedBufferEvents: [100, 1_000_000],
  heartbeatIntervalMs: [100, 300_000],
  maxBufferedBytes: [1_024, 1_073_741_824],
  slowConsumerGraceMs: [0, 300_000],
};

/** Checks the `events` section, filling in defaults. @throws ConfigError */
export function validateEventsConfig(value: unknown): EventsConfig {
  if (value === undefined) return DEFAULT_EVENTS_CONFIG;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError('events', 'must be an object');
  }
  const raw = value as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (!(key in BOUNDS)) throw new ConfigError(`events.${key}`, 'is not a configuration key');
  }
  const config: Record<string, number> = {};
  for (const [key, [min, max]] of Object.entries(BOUNDS)) {
    const given = raw[key] ?? DEFAULT_EVENTS_CONFIG[key as keyof EventsConfig];
    if (typeof given !== 'number' || !Number.isInteger(given) || given < min || given > max) {
      throw new ConfigError(`events.${key}`, `must be an integer from ${min} to ${max}`);
    }
    config[key] = given;
  }
  return config as unknown as EventsConfig;
}
