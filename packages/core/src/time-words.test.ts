import { describe, it, expect } from 'vitest';
import { durationInWords, instantInWords, relativeToNow } from './time-words.js';

describe('durationInWords', () => {
  it.each([
    [0, '0s'],
    [120, '120ms'],
    [1000, '1s'],
    [250_000, '4m 10s'],
    [3_600_000, '1h'],
    [3_660_000, '1h 1m'],
    [3_661_000, '1h 1m'],
    [93_600_000, '1d 2h'],
    [86_400_000 + 30_000, '1d'],
    [-250_000, '4m 10s'],
  ])('%d ms is %s', (ms, words) => {
    expect(durationInWords(ms)).toBe(words);
  });
});

describe('relativeToNow', () => {
  const now = '2030-01-01T12:00:00.000Z';
  it('says in, ago or now', () => {
    expect(relativeToNow('2030-01-01T12:00:00.120Z', now)).toBe('in 120ms');
    expect(relativeToNow('2030-01-01T11:55:50.000Z', now)).toBe('4m 10s ago');
    expect(relativeToNow(now, now)).toBe('now');
    expect(relativeToNow('not a time', now)).toBe('not a time');
    expect(instantInWords('2030-01-01T12:04:10.000Z', now)).toBe('2030-01-01T12:04:10.000Z (in 4m 10s)');
  });
});
