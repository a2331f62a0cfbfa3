import { randomBytes } from 'node:crypto';
import { crc32, gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { acceptsGzip, combineCrc32, deflateSegment, GzipStream } from './gzip-stream.js';

describe('combineCrc32', () => {
  it('gives the CRC-32 of the concatenation, for lengths from 0 to a few MB', () => {
    for (const [a, b] of [
      [0, 0],
      [1, 0],
      [0, 1],
      [7, 13],
      [1_000, 4_096],
      [65_537, 1],
      [3, 3_000_000],
    ] as const) {
      const first = randomBytes(a);
      const second = randomBytes(b);
      expect(combineCrc32(crc32(first), crc32(second), b)).toBe(crc32(Buffer.concat([first, second])));
    }
  });
});

describe('GzipStream', () => {
  it('writes segments compressed once into streams that any gzip decoder reads whole', () => {
    const pieces = [
      'retry: 1000\n\n',
      'id: 1\nevent: job.created\ndata: {"a":1}\n\n'.repeat(50),
      ': keep-alive\n\n',
    ];
    const segments = pieces.map((piece) => deflateSegment(Buffer.from(piece)));
    // Two streams share the middle segment but start and continue differently.
    const one = new GzipStream();
    const two = new GzipStream();
    const first = Buffer.concat([one.header(), ...segments.map((s) => one.add(s)), one.end()]);
    const second = Buffer.concat([two.header(), two.add(segments[1]!), two.add(segments[1]!), two.end()]);
    expect(gunzipSync(first).toString()).toBe(pieces.join(''));
    expect(gunzipSync(second).toString()).toBe(pieces[1]!.repeat(2));
    // The event batch shrinks: SSE messages repeat their keys.
    expect(segments[1]!.deflated.length).toBeLessThan(segments[1]!.length / 5);
  });

  it('ends an empty stream validly', () => {
    const stream = new GzipStream();
    expect(gunzipSync(Buffer.concat([stream.header(), stream.end()])).length).toBe(0);
  });
});

describe('acceptsGzip', () => {
  it('reads codings and weights', () => {
    expect(acceptsGzip(undefined)).toBe(false);
    expect(acceptsGzip('')).toBe(false);
    expect(acceptsGzip('gzip')).toBe(true);
    expect(acceptsGzip('deflate, gzip;q=1.0, br')).toBe(true);
    expect(acceptsGzip('GZIP ; q=0.5')).toBe(true);
    expect(acceptsGzip('x-gzip')).toBe(true);
    expect(acceptsGzip('gzip;q=0')).toBe(false);
    expect(acceptsGzip('*')).toBe(true);
    expect(acceptsGzip('*;q=0')).toBe(false);
    expect(acceptsGzip('*, gzip;q=0')).toBe(false);
    expect(acceptsGzip('identity, br')).toBe(false);
    expect(acceptsGzip(['br', 'gzip'])).toBe(true);
  });
});
