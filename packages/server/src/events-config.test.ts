import { describe, expect, it } from 'vitest';
import { ConfigError } from './config-error.js';
import { validateConfig, DEFAULT_CONFIG } from './config.js';
import { DEFAULT_EVENTS_CONFIG, validateEventsConfig } from './events-config.js';

describe('the events configuration', () => {
  it('defaults every key, and takes the keys given', () => {
    expect(validateEventsConfig(undefined)).toBe(DEFAULT_EVENTS_CONFIG);
    expect(validateEventsConfig({ retentionHours: 24, pollIntervalMs: 50 })).toEqual({
      ...DEFAULT_EVENTS_CONFIG,
      retentionHours: 24,
      pollIntervalMs: 50,
    });
    expect(validateConfig({ ...DEFAULT_CONFIG, events: { retentionHours: 0 } }).events.retentionHours).toBe(
      0,
    );
  });

  it('names the key at fault', () => {
    const key = (value: unknown) => {
      try {
        validateEventsConfig(value);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as ConfigError).key;
      }
      return null;
    };
    expect(key([])).toBe('events');
    expect(key({ retention: 1 })).toBe('events.retention');
    expect(key({ maxBufferedBytes: 10 })).toBe('events.maxBufferedBytes');
    expect(key({ pollIntervalMs: 1.5 })).toBe('events.pollIntervalMs');
    expect(key({ readBatchSize: '5' })).toBe('events.readBatchSize');
  });
});
