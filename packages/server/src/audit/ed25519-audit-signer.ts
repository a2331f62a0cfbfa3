import type {
  AuditSigner,
  Clock,
  Jwk,
  NewSigningKey,
  SigningKeyStore,
  StoredSigningKey,
} from '@stella-orch/core';
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { systemClock } from '../system-ports.js';

/** The JWS name of Ed25519 signatures, as the key store records the algorithm. */
export const AUDIT_SIGNING_ALGORITHM = 'EdDSA';

/** How long a replica signs with the key it loaded before it looks for a rotated one. */
const DEFAULT_ACTIVE_KEY_TTL_MS = 30_000;

/**
 * Signs audit checkpoints and archive manifests with the ledger's active `audit-checkpoint` key (Ed25519),
 * generating and storing one on first use (`ensureActiveKey`: two replicas starting together end with one
 * key), and verifies signatures with any published key (active or previous) by its id. Keys are cached;
 * the active one is looked up again after `activeKeyTtlMs`, and the published ones whenever a signature
 * names a key id not seen yet.
 */
export class Ed25519AuditSigner implements AuditSigner {
  readonly #keys: SigningKeyStore;
  readonly #clock: Clock;
  readonly #activeKeyTtlMs: number;
  #active: { readonly loading: Promise<ActiveKey>; readonly since: number } | null = null;
  readonly #publicKeys = new Map<string, KeyObject>();

  /**
   * @param deps - the ledger's signing keys; the clock of the cache (the system's by default)
   * @param options - how long the active key is used before it is looked up again (default 30 s)
   */
  constructor(
    deps: { readonly keys: SigningKeyStore; readonly clock?: Clock },
    options: { readonly activeKeyTtlMs?: number } = {},
  ) {
    this.#keys = deps.keys;
    this.#clock = deps.clock ?? systemClock;
    this.#activeKeyTtlMs = options.activeKeyTtlMs ?? DEFAULT_ACTIVE_KEY_TTL_MS;
  }

  /** @inheritdoc */
  async sign(
    input: (keyId: string) => string,
  ): Promise<{ readonly keyId: string; readonly signature: string }> {
    const { keyId, privateKey } = await this.#activeKey();
    const signature = sign(null, Buffer.from(input(keyId), 'utf8'), privateKey);
    return { keyId, signature: signature.toString('base64url') };
  }

  /** @inheritdoc A key id that is not published, or a malformed signature, does not verify. */
  async verify(input: string, keyId: string, signature: string): Promise<boolean> {
    const publicKey = this.#publicKeys.get(keyId) ?? (await this.#reloadPublished()).get(keyId);
    if (publicKey === undefined || !/^[A-Za-z0-9_-]{86}$/.test(signature)) return false;
    return verify(null, Buffer.from(input, 'utf8'), publicKey, Buffer.from(signature, 'base64url'));
  }

  /** The active key, loaded (or made) once per TTL; concurrent callers share one lookup, a failed one is retried. */
  #activeKey(): Promise<ActiveKey> {
    const now = this.#clock.nowMs();
    if (this.#active === null || now - this.#active.since >= this.#activeKeyTtlMs) {
      const active = { loading: this.#loadActiveKey(), since: now };
      this.#active = active;
      void active.loading.catch(() => {
        if (this.#active === active) this.#active = null;
      });
    }
    return this.#active.loading;
  }

  async #loadActiveKey(): Promise<ActiveKey> {
    const published = await this.#keys.listPublishedKeys('audit-checkpoint');
    const first = published[0];
    const key = first?.state === 'active' ? first : await this.#keys.ensureActiveKey(newAuditSigningKey());
    this.#publicKeys.set(key.keyId, publicKeyOf(key));
    return {
      keyId: key.keyId,
      privateKey: createPrivateKey({ key: key.privateJwk, format: 'jwk' }),
    };
  }

  async #reloadPublished(): Promise<Map<string, KeyObject>> {
    for (const key of await this.#keys.listPublishedKeys('audit-checkpoint')) {
      if (!this.#publicKeys.has(key.keyId)) this.#publicKeys.set(key.keyId, publicKeyOf(key));
    }
    return this.#publicKeys;
  }
}

/** The key a replica signs with. */
interface ActiveKey {
  readonly keyId: string;
  readonly privateKey: KeyObject;
}

function publicKeyOf(key: StoredSigningKey): KeyObject {
  return createPublicKey({ key: key.publicJwk, format: 'jwk' });
}

/**
 * A fresh Ed25519 key pair for audit checkpoints, as the key store keeps it. Its id is the key's RFC 7638
 * JWK thumbprint (base64url SHA-256 of `{"crv","kty","x"}`), so anyone holding the public key can tell
 * which `keyId` it signs as.
 */
export function newAuditSigningKey(): NewSigningKey {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const { crv, kty, x } = publicKey.export({ format: 'jwk' });
  if (crv === undefined || kty === undefined || x === undefined) throw new Error('not an Ed25519 JWK');
  const keyId = jwkThumbprint({ crv, kty, x });
  const publicJwk: Jwk = { kty, crv, x, kid: keyId, alg: AUDIT_SIGNING_ALGORITHM, use: 'sig' };
  const { d } = privateKey.export({ format: 'jwk' });
  if (d === undefined) throw new Error('not an Ed25519 private JWK');
  const privateJwk: Jwk = { kty, crv, x, d, kid: keyId, alg: AUDIT_SIGNING_ALGORITHM };
  return { keyId, purpose: 'audit-checkpoint', algorithm: AUDIT_SIGNING_ALGORITHM, publicJwk, privateJwk };
}

/** RFC 7638 thumbprint of an OKP public key: its required members in lexicographic order, hashed. */
export function jwkThumbprint(jwk: {
  readonly crv: string;
  readonly kty: string;
  readonly x: string;
}): string {
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x });
  return createHash('sha256').update(canonical, 'utf8').digest('base64url');
}
