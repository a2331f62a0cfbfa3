import { createHash } from 'node:crypto';
import { describe, it, expect } from 'vitest';
import { canonicalJson, isSha256Digest, payloadDigest, sha256Digest } from './canonical-json.js';

/** An independent SHA-256 of a string's UTF-8 bytes. */
function sha256Hex(text: string): string {
  return createHash('sha256').update(Buffer.from(text, 'utf8')).digest('hex');
}

describe('canonicalJson', () => {
  describe('scalars', () => {
    it('writes null, booleans and strings as JSON', () => {
      expect(canonicalJson(null)).toBe('null');
      expect(canonicalJson(true)).toBe('true');
      expect(canonicalJson(false)).toBe('false');
      expect(canonicalJson('')).toBe('""');
      expect(canonicalJson('a "quoted" \\ line\n\ttab')).toBe('"a \\"quoted\\" \\\\ line\\n\\ttab"');
      expect(canonicalJson('\u0000\u001f')).toBe('"\\u0000\\u001f"');
    });

    it('keeps non-ASCII characters as they are and escapes lone surrogates', () => {
      expect(canonicalJson('€ ö 😀 日本')).toBe('"€ ö 😀 日本"');
      expect(canonicalJson('\ud800')).toBe('"\\ud800"');
    });

    it('writes numbers in their shortest ECMAScript form (RFC 8785 §3.2.2.3)', () => {
      const cases: [number, string][] = [
        [0, '0'],
        [-0, '0'],
        [1, '1'],
        [-1, '-1'],
        [4.5, '4.5'],
        [0.002, '0.002'],
        [0.1 + 0.2, '0.30000000000000004'],
        [1e-7, '1e-7'],
        [1e21, '1e+21'],
        [1e30, '1e+30'],
        [Number('333333333.33333329'), '333333333.3333333'],
        [9007199254740991, '9007199254740991'],
        [Number.MAX_VALUE, '1.7976931348623157e+308'],
        [Number.MIN_VALUE, '5e-324'],
        [-1.5e-10, '-1.5e-10'],
      ];
      for (const [value, text] of cases) expect(canonicalJson(value), text).toBe(text);
    });
  });

  describe('objects and arrays', () => {
    it('sorts object keys and writes no whitespace', () => {
      expect(canonicalJson({ b: 2, a: 1, c: 3 })).toBe('{"a":1,"b":2,"c":3}');
      expect(canonicalJson({})).toBe('{}');
      expect(canonicalJson([])).toBe('[]');
    });

    it('gives the same text for the same value whatever the key order', () => {
      const one = { z: [1, { y: true, x: null }], a: { d: 'x', c: [] }, m: 'm' };
      const two = { m: 'm', a: { c: [], d: 'x' }, z: [1, { x: null, y: true }] };
      expect(canonicalJson(one)).toBe(canonicalJson(two));
      expect(canonicalJson(one)).toBe('{"a":{"c":[],"d":"x"},"m":"m","z":[1,{"x":null,"y":true}]}');
    });

    it('sorts keys at every depth but keeps array order', () => {
      const value = { outer: { b: [3, 2, 1], a: { d: { f: 1, e: 2 }, c: 0 } }, arr: [{ b: 1, a: 2 }, 'x'] };
      expect(canonicalJson(value)).toBe(
        '{"arr":[{"a":2,"b":1},"x"],"outer":{"a":{"c":0,"d":{"e":2,"f":1}},"b":[3,2,1]}}',
      );
    });

    it('sorts keys by UTF-16 code units, not by code points or locale (RFC 8785 §3.2.3 example)', () => {
      const value = {
        '\u20ac': 'Euro Sign',
        '\r': 'Carriage Return',
        '\ufb33': 'Hebrew Letter Dalet With Dagesh',
        '1': 'One',
        '\ud83d\ude00': 'Emoji: Grinning Face',
        '\u0080': 'Control',
        '\u00f6': 'Latin Small Letter O With Diaeresis',
      };
      expect(canonicalJson(value)).toBe(
        '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
          '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
      );
    });

    it('sorts upper case before lower case and shorter prefixes first', () => {
      expect(canonicalJson({ b: 1, B: 2, a: 3, A: 4, aa: 5, '': 6 })).toBe(
        '{"":6,"A":4,"B":2,"a":3,"aa":5,"b":1}',
      );
      expect(canonicalJson({ '10': 'x', '9': 'y', '1': 'z' })).toBe('{"1":"z","10":"x","9":"y"}');
    });

    it('escapes keys like strings', () => {
      expect(canonicalJson({ 'a"b': 1, 'new\nline': 2 })).toBe('{"a\\"b":1,"new\\nline":2}');
    });

    it('drops properties whose value is undefined', () => {
      expect(canonicalJson({ a: 1, b: undefined, c: { d: undefined } })).toBe('{"a":1,"c":{}}');
      expect(canonicalJson({ a: undefined })).toBe('{}');
      expect(canonicalJson({ a: 1, b: undefined })).toBe(canonicalJson({ a: 1 }));
    });

    it('keeps null properties', () => {
      expect(canonicalJson({ a: null })).toBe('{"a":null}');
      expect(canonicalJson({ a: null })).not.toBe(canonicalJson({}));
    });

    it('ignores symbol keys and non-enumerable properties', () => {
      const value: Record<string | symbol, unknown> = { a: 1, [Symbol('s')]: 2 };
      Object.defineProperty(value, 'hidden', { value: 3, enumerable: false });
      expect(canonicalJson(value)).toBe('{"a":1}');
    });

    it('writes nested arrays', () => {
      expect(canonicalJson([[1, [2, [3, []]]], { a: [] }])).toBe('[[1,[2,[3,[]]]],{"a":[]}]');
    });

    it('agrees with JSON.stringify on key-sorted data', () => {
      const value = { a: [1, 2.5, 'x', null, true], b: { c: 'ü', d: -0.001 } };
      expect(canonicalJson(value)).toBe(JSON.stringify(value));
    });
  });

  describe('values JSON cannot carry', () => {
    it('throws on non-finite numbers', () => {
      expect(() => canonicalJson(Number.NaN)).toThrow(new TypeError('cannot canonicalise the number NaN'));
      expect(() => canonicalJson(Infinity)).toThrow(new TypeError('cannot canonicalise the number Infinity'));
      expect(() => canonicalJson(-Infinity)).toThrow(
        new TypeError('cannot canonicalise the number -Infinity'),
      );
    });

    it('throws on bigint, functions, symbols and a bare undefined', () => {
      expect(() => canonicalJson(10n)).toThrow(new TypeError('cannot canonicalise a value of type bigint'));
      expect(() => canonicalJson(() => 1)).toThrow(
        new TypeError('cannot canonicalise a value of type function'),
      );
      expect(() => canonicalJson(Symbol('s'))).toThrow(
        new TypeError('cannot canonicalise a value of type symbol'),
      );
      expect(() => canonicalJson(undefined)).toThrow(
        new TypeError('cannot canonicalise a value of type undefined'),
      );
    });

    it('throws when such a value is nested in an object or an array', () => {
      expect(() => canonicalJson({ a: { b: Number.NaN } })).toThrow(TypeError);
      expect(() => canonicalJson({ a: [1, 2n] })).toThrow(TypeError);
      expect(() => canonicalJson({ f: () => 1 })).toThrow(TypeError);
      expect(() => canonicalJson([1, Infinity])).toThrow(TypeError);
      // undefined is only dropped from objects: an array has no way to leave it out.
      expect(() => canonicalJson([1, undefined])).toThrow(TypeError);
    });
  });
});

describe('sha256Digest', () => {
  it('matches well-known SHA-256 test vectors', () => {
    expect(sha256Digest('')).toBe('sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Digest('abc')).toBe(
      'sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('hashes the UTF-8 bytes of the text', () => {
    for (const text of ['', 'hello', 'ö€😀', '{"a":1}', 'x'.repeat(10_000)]) {
      expect(sha256Digest(text)).toBe(`sha256:${sha256Hex(text)}`);
    }
    expect(sha256Digest('ö')).toBe(
      `sha256:${createHash('sha256')
        .update(Buffer.from([0xc3, 0xb6]))
        .digest('hex')}`,
    );
  });
});

describe('payloadDigest', () => {
  it('is the SHA-256 of the canonical JSON text', () => {
    expect(payloadDigest({})).toBe('sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a');
    expect(payloadDigest({ b: 2, a: 1 })).toBe(`sha256:${sha256Hex('{"a":1,"b":2}')}`);
    expect(payloadDigest(null)).toBe(`sha256:${sha256Hex('null')}`);
    expect(payloadDigest([3, 'x', { z: true, y: [] }])).toBe(
      `sha256:${sha256Hex('[3,"x",{"y":[],"z":true}]')}`,
    );
    expect(payloadDigest({ name: 'Grüße', emoji: '😀' })).toBe(
      `sha256:${sha256Hex('{"emoji":"😀","name":"Grüße"}')}`,
    );
  });

  it('is equal for equal values regardless of key order and undefined properties', () => {
    const a = payloadDigest({ source: 'nvd', window: { from: 1, to: 2 }, tags: ['a', 'b'] });
    const b = payloadDigest({
      tags: ['a', 'b'],
      window: { to: 2, from: 1 },
      source: 'nvd',
      extra: undefined,
    });
    expect(a).toBe(b);
  });

  it('differs when the value differs', () => {
    expect(payloadDigest({ a: 1 })).not.toBe(payloadDigest({ a: 2 }));
    expect(payloadDigest({ tags: ['a', 'b'] })).not.toBe(payloadDigest({ tags: ['b', 'a'] }));
    expect(payloadDigest({ a: '1' })).not.toBe(payloadDigest({ a: 1 }));
  });

  it('throws like canonicalJson on values JSON cannot carry', () => {
    expect(() => payloadDigest({ a: Number.NaN })).toThrow(TypeError);
  });

  it('always looks like a sha256 digest', () => {
    expect(isSha256Digest(payloadDigest({ any: 'thing' }))).toBe(true);
  });
});

describe('isSha256Digest', () => {
  const hex = 'a'.repeat(64);

  it('accepts sha256: followed by 64 lowercase hex digits', () => {
    expect(isSha256Digest(`sha256:${hex}`)).toBe(true);
    expect(isSha256Digest(`sha256:${'0123456789abcdef'.repeat(4)}`)).toBe(true);
  });

  it('refuses anything else', () => {
    for (const value of [
      '',
      hex,
      `sha256:${'A'.repeat(64)}`,
      `sha256:${hex.slice(1)}`,
      `sha256:${hex}0`,
      `sha256:${'g'.repeat(64)}`,
      `SHA256:${hex}`,
      `sha512:${hex}`,
      `sha256-${hex}`,
      ` sha256:${hex}`,
      `sha256:${hex}\n`,
    ]) {
      expect(isSha256Digest(value), JSON.stringify(value)).toBe(false);
    }
  });
});
