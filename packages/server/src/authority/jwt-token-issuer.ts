import type { AccessTokenClaims, SigningKeyStore, StoredSigningKey, TokenIssuer } from '@stella-orch/core';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK } from 'jose';
import { randomUUID } from 'node:crypto';

/** The algorithm of the tokens this orchestrator issues. */
export const TOKEN_ALGORITHM = 'ES256';

/** How long a replica signs with the key it loaded before it looks for a rotated one. */
const ACTIVE_KEY_TTL_MS = 30_000;

/**
 * Signs access tokens (RFC 9068: `typ: at+jwt`) with the ledger's active `token` key (ES256), generating
 * and storing one on first use. Another replica's rotation is picked up within 30 s.
 */
export class JwtTokenIssuer implements TokenIssuer {
  readonly #keys: SigningKeyStore;
  #active: { key: StoredSigningKey; privateKey: CryptoKey; loadedAt: number } | null = null;

  constructor(keys: SigningKeyStore) {
    this.#keys = keys;
  }

  async issue(claims: AccessTokenClaims): Promise<string> {
    const active = await this.#activeKey();
    return new SignJWT({ ...claims })
      .setProtectedHeader({ alg: TOKEN_ALGORITHM, typ: 'at+jwt', kid: active.key.keyId })
      .sign(active.privateKey);
  }

  /** Makes sure a signing key exists (generating and storing one if none does), so the JWKS is never empty. */
  async ensureKey(): Promise<void> {
    await this.#activeKey();
  }

  /** Forgets the loaded key (after a rotation in this process). */
  reload(): void {
    this.#active = null;
  }

  async #activeKey(): Promise<{ key: StoredSigningKey; privateKey: CryptoKey }> {
    if (this.#active !== null && Date.now() - this.#active.loadedAt < ACTIVE_KEY_TTL_MS) return this.#active;
    const published = await this.#keys.listPublishedKeys('token');
    const key =
      published[0]?.state === 'active' ? published[0] : await this.#keys.ensureActiveKey(await newTokenKey());
    const privateKey = (await importJWK(key.privateJwk as JWK, TOKEN_ALGORITHM)) as CryptoKey;
    this.#active = { key, privateKey, loadedAt: Date.now() };
    return this.#active;
  }
}

/** A fresh ES256 key pair for tokens, as the key store keeps it. */
export async function newTokenKey(): Promise<Omit<StoredSigningKey, 'state' | 'createdAt'>> {
  const { publicKey, privateKey } = await generateKeyPair(TOKEN_ALGORITHM, { extractable: true });
  const keyId = randomUUID();
  const publicJwk = { ...(await exportJWK(publicKey)), kid: keyId, alg: TOKEN_ALGORITHM, use: 'sig' };
  const privateJwk = { ...(await exportJWK(privateKey)), kid: keyId, alg: TOKEN_ALGORITHM };
  return {
    keyId,
    purpose: 'token',
    algorithm: TOKEN_ALGORITHM,
    publicJwk,
    privateJwk,
  };
}
