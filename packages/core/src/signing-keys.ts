import type { JsonValue } from './canonical-json.js';

/** What a key signs: access tokens (JWT) or audit checkpoints. */
export type SigningKeyPurpose = 'token' | 'audit-checkpoint';

/**
 * `active` signs; `previous` (the one rotated out last) still verifies and is still published in the
 * JWKS; `retired` is kept for the record only.
 */
export type SigningKeyState = 'active' | 'previous' | 'retired';

/** A JSON Web Key as a plain object. */
export type Jwk = Readonly<Record<string, JsonValue>>;

/** A key pair the orchestrator generated, as the ledger keeps it. */
export interface StoredSigningKey {
  readonly keyId: string;
  readonly purpose: SigningKeyPurpose;
  /** The JWS algorithm: `ES256` for tokens, `EdDSA` (Ed25519) for checkpoints. */
  readonly algorithm: string;
  readonly publicJwk: Jwk;
  readonly privateJwk: Jwk;
  readonly state: SigningKeyState;
  /** ISO-8601. */
  readonly createdAt: string;
}

/** A key to store: everything but its state and creation time, which the store decides. */
export type NewSigningKey = Omit<StoredSigningKey, 'state' | 'createdAt'>;

/** The ledger's signing keys. */
export interface SigningKeyStore {
  /** The `active` and `previous` keys of a purpose, active first. */
  listPublishedKeys(purpose: SigningKeyPurpose): Promise<StoredSigningKey[]>;
  /**
   * Stores `candidate` as the active key of its purpose unless one is active already, atomically (two
   * replicas starting together end with one key). @returns the active key
   */
  ensureActiveKey(candidate: NewSigningKey): Promise<StoredSigningKey>;
  /**
   * Makes `candidate` the active key of its purpose in one transaction: the active key becomes `previous`
   * and the previous one `retired`. @returns the keys now published, active first
   */
  rotateKey(candidate: NewSigningKey): Promise<StoredSigningKey[]>;
}
