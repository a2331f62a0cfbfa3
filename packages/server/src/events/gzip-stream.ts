import { constants, crc32, deflateRawSync } from 'node:zlib';

/**
 * Bytes compressed on their own: a run of raw deflate blocks ending on a byte boundary (a sync flush) and
 * referring to nothing before them, with the CRC-32 and the length of what they hold. Any sequence of
 * segments is a valid deflate stream, so one segment can be written as it is into every gzip stream that
 * wants its bytes next (see {@link GzipStream}).
 */
export interface DeflatedSegment {
  readonly deflated: Buffer;
  readonly crc: number;
  readonly length: number;
}

/** Fast compression: a batch of events shrinks about 7 times at level 1, and costs a few ms per MB. */
const LEVEL = 1;

/** Compresses `bytes` into a segment of its own. */
export function deflateSegment(bytes: Buffer): DeflatedSegment {
  return {
    deflated: deflateRawSync(bytes, { level: LEVEL, finishFlush: constants.Z_SYNC_FLUSH }),
    crc: crc32(bytes),
    length: bytes.length,
  };
}

/** The reflected CRC-32 polynomial (the one gzip uses). */
const POLYNOMIAL = 0xedb88320;

/** a(x) · b(x) modulo the CRC polynomial (reflected bit order), as in zlib's `multmodp`. */
function multiplyModP(a: number, b: number): number {
  let product = 0;
  let factor = b;
  for (let bit = 0x80000000; bit !== 0; bit >>>= 1) {
    if ((a & bit) !== 0) product ^= factor;
    factor = (factor & 1) !== 0 ? (factor >>> 1) ^ POLYNOMIAL : factor >>> 1;
  }
  return product >>> 0;
}

/** `POWERS[k]` = x^(2^k) modulo the polynomial. */
const POWERS = ((): Uint32Array => {
  const powers = new Uint32Array(32);
  let power = 0x40000000; // x^1
  powers[0] = power;
  for (let k = 1; k < 32; k++) {
    power = multiplyModP(power, power);
    powers[k] = power;
  }
  return powers;
})();

/** x^(8 · bytes) modulo the polynomial: the operator that moves a CRC past `bytes` zero bytes. */
function shiftOperator(bytes: number): number {
  let operator = 0x80000000; // x^0
  let k = 3; // 8 = 2^3
  for (let n = bytes; n > 0; n = Math.floor(n / 2), k++) {
    if (n % 2 === 1) operator = multiplyModP(POWERS[k % 32] as number, operator);
  }
  return operator;
}

/** The CRC-32 of A followed by B, from the CRC-32 of A, that of B and the length of B (zlib's `crc32_combine`). */
export function combineCrc32(crcA: number, crcB: number, lengthB: number): number {
  return (multiplyModP(shiftOperator(lengthB), crcA) ^ crcB) >>> 0;
}

/** ID1 ID2, deflate, no flags, no time, no extra flags, OS unknown (RFC 1952 §2.3). */
const HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff]);
/** An empty final fixed-Huffman block: the end of the deflate data. */
const LAST_BLOCK = Buffer.from([0x03, 0x00]);

/**
 * One gzip member (RFC 1952) written segment by segment: the header, then any {@link DeflatedSegment}s,
 * each decodable as soon as it arrives, then the end (the last block, the CRC-32 and the length of all
 * the bytes). The CRC is combined from the segments' own: the bytes are never read again.
 */
export class GzipStream {
  #crc = 0;
  #length = 0;

  /** The first bytes of the stream. */
  header(): Buffer {
    return HEADER;
  }

  /** Counts `segment` in the trailer; returns its bytes, to be written next. */
  add(segment: DeflatedSegment): Buffer {
    this.#crc = combineCrc32(this.#crc, segment.crc, segment.length);
    this.#length += segment.length;
    return segment.deflated;
  }

  /** The last bytes of the stream. */
  end(): Buffer {
    const trailer = Buffer.allocUnsafe(8);
    trailer.writeUInt32LE(this.#crc, 0);
    trailer.writeUInt32LE(this.#length % 0x1_0000_0000, 4);
    return Buffer.concat([LAST_BLOCK, trailer]);
  }
}

/**
 * Whether an `Accept-Encoding` header (RFC 9110 §12.5.3) accepts gzip: `gzip` (or `x-gzip`) or `*`
 * listed with a weight above 0, and not refused by name.
 */
export function acceptsGzip(header: string | readonly string[] | undefined): boolean {
  if (header === undefined) return false;
  const weights = new Map<string, number>();
  for (const item of (typeof header === 'string' ? header : header.join(',')).split(',')) {
    const [name, ...params] = item.toLowerCase().split(';');
    const coding = name?.trim() ?? '';
    if (coding === '') continue;
    let weight = 1;
    for (const param of params) {
      const [key, value] = param.trim().split('=');
      if (key === 'q' && value !== undefined) weight = Number(value);
    }
    if (!Number.isNaN(weight)) weights.set(coding === 'x-gzip' ? 'gzip' : coding, weight);
  }
  const gzip = weights.get('gzip');
  if (gzip !== undefined) return gzip > 0;
  return (weights.get('*') ?? 0) > 0;
}
