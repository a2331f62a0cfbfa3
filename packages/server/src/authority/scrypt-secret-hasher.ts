import type { SecretHasher } from '@stella-orch/core';
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** The scrypt cost of new hashes: N = 2^15, r = 8, p = 1 (about 50 ms and 32 MiB per check). */
const DEFAULT_COST = { N: 32_768, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
const HASH_PATTERN = /^scrypt\$N=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/;

function derive(secret: string, salt: Buffer, cost: { N: number; r: number; p: number }): Promise<Buffer> {
  const options: ScryptOptions = { ...cost, maxmem: 256 * cost.N * cost.r };
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, KEY_LENGTH, options, (error, key) => {
      if (error === null) resolve(key);
      else reject(error);
    });
  });
}

/**
 * Client secrets hashed with scrypt, self-describing: `scrypt$N=32768,r=8,p=1$<salt>$<hash>` (base64url).
 * Verification runs in constant time for a given cost, also when there is no hash to compare with.
 */
export class ScryptSecretHasher implements SecretHasher {
  readonly #cost: { N: number; r: number; p: number };
  readonly #dummySalt = randomBytes(16);

  /** @param cost - scrypt parameters of new hashes; tests lower them */
  constructor(cost: { N: number; r: number; p: number } = DEFAULT_COST) {
    this.#cost = cost;
  }

  async hash(secret: string): Promise<string> {
    const salt = randomBytes(16);
    const key = await derive(secret, salt, this.#cost);
    const { N, r, p } = this.#cost;
    return `scrypt$N=${N},r=${r},p=${p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
  }

  async verify(secret: string, hash: string | null): Promise<boolean> {
    const parsed = hash === null ? null : parseHash(hash);
    if (parsed === null) {
      await derive(secret, this.#dummySalt, this.#cost);
      return false;
    }
    const key = await derive(secret, parsed.salt, parsed.cost);
    return key.length === parsed.key.length && timingSafeEqual(key, parsed.key);
  }
}

/** Whether `value` is a hash this hasher can check (for configuration validation). */
export function isSecretHash(value: string): boolean {
  return parseHash(value) !== null;
}

function parseHash(
  hash: string,
): { cost: { N: number; r: number; p: number }; salt: Buffer; key: Buffer } | null {
  const match = HASH_PATTERN.exec(hash);
  if (match === null) return null;
  const [, n, r, p, salt, key] = match as unknown as [string, string, string, string, string, string];
  const cost = { N: Number(n), r: Number(r), p: Number(p) };
  const powerOfTwo = cost.N >= 2 && (cost.N & (cost.N - 1)) === 0;
  if (!powerOfTwo || cost.N > 1_048_576 || cost.r < 1 || cost.r > 32 || cost.p < 1 || cost.p > 16)
    return null;
  return { cost, salt: Buffer.from(salt, 'base64url'), key: Buffer.from(key, 'base64url') };
}

/** A new client secret: 32 random bytes, base64url (43 characters). */
export function generateClientSecret(): string {
  return randomBytes(32).toString('base64url');
}
