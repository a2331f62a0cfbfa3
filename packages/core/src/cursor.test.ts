import { describe, it, expect } from 'vitest';
import { OrchestratorError } from './errors.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, decodePageToken, encodePageToken } from './cursor.js';

function b64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

function expectInvalidCursor(token: string, arity: number): void {
  let caught: unknown;
  try {
    decodePageToken(token, arity);
  } catch (error) {
    caught = error;
  }
  expect(caught, `token ${JSON.stringify(token)}`).toBeInstanceOf(OrchestratorError);
  const error = caught as OrchestratorError;
  expect(error.code).toBe('INVALID_CURSOR');
  expect(error.status).toBe(400);
  expect(error.message).toBe('page_token is not a token this server issued');
  expect(error.details).toBeUndefined();
  expect(error.cause).toBeUndefined();
}

describe('page tokens', () => {
  it('round-trip the sort key of the last item', () => {
    const keys: (string | number)[][] = [
      ['2024-05-01T10:00:00.000Z', '6f1c0d3e-0000-4000-8000-000000000001'],
      [42],
      [0, -1, 1.5, 1e21],
      ['', 'ünïcødé 😀', 'with "quotes" and \\ backslash', 'a,b'],
      ['mixed', 7, 'types'],
      [],
    ];
    for (const key of keys) {
      expect(decodePageToken(encodePageToken(key), key.length)).toEqual(key);
    }
  });

  it('are URL-safe base64 without padding', () => {
    for (const key of [['a'], ['ab'], ['abc'], ['???>>>~~~', 12_345], ['ÿÿÿ', 'þþþ']]) {
      const token = encodePageToken(key);
      expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    }
  });

  it('encode the key as base64url JSON', () => {
    expect(encodePageToken(['a', 1])).toBe(b64url('["a",1]'));
    expect(decodePageToken(b64url('["x",2]'), 2)).toEqual(['x', 2]);
  });

  it('are opaque but deterministic', () => {
    expect(encodePageToken(['a', 1])).toBe(encodePageToken(['a', 1]));
    expect(encodePageToken(['a', 1])).not.toBe(encodePageToken(['a', 2]));
  });

  it('refuse garbage with INVALID_CURSOR', () => {
    for (const token of ['', '!!!!', 'not a token', 'bm90IGpzb24', '%%%', '____', 'W10', '🙂']) {
      expectInvalidCursor(token, 1);
    }
  });

  it('refuse JSON that is not an array of strings and numbers', () => {
    for (const json of [
      '{"0":"a"}',
      '"a"',
      '1',
      'null',
      'true',
      '[null]',
      '[true]',
      '[{"a":1}]',
      '[["a"]]',
      '[1,null]',
    ]) {
      const arity = json.startsWith('[1,') ? 2 : 1;
      expectInvalidCursor(b64url(json), arity);
    }
  });

  it('refuse a token of the wrong arity', () => {
    const token = encodePageToken(['2024-05-01T10:00:00.000Z', 'job-1']);
    expect(decodePageToken(token, 2)).toEqual(['2024-05-01T10:00:00.000Z', 'job-1']);
    expectInvalidCursor(token, 1);
    expectInvalidCursor(token, 3);
    expectInvalidCursor(token, 0);
    expectInvalidCursor(encodePageToken([]), 1);
  });

  it('refuse a truncated token', () => {
    const token = encodePageToken(['2024-05-01T10:00:00.000Z', 'job-1']);
    expectInvalidCursor(token.slice(0, -3), 2);
  });
});

describe('page sizes', () => {
  it('default to 50 and stop at 500', () => {
    expect(DEFAULT_PAGE_SIZE).toBe(50);
    expect(MAX_PAGE_SIZE).toBe(500);
    expect(DEFAULT_PAGE_SIZE).toBeLessThanOrEqual(MAX_PAGE_SIZE);
  });
});
