import type { Jwk, NewSigningKey, SigningKeyPurpose } from '@stella-orch/core';
import type { SqlExecutor } from '../sql-driver.js';

const KEY_COLUMNS = `k.key_id, k.purpose, k.algorithm, k.public_jwk, k.private_jwk, k.state, k.created_at`;

// Every writer of a purpose's keys takes this lock first (transaction-scoped), so a first key and
// rotations of one purpose happen one after another; readers take no lock.
const LOCK_PURPOSE = `SELECT pg_advisory_xact_lock(hashtext('stella-orch:signing-keys'), hashtext($1))`;

// The first key of a purpose. The partial unique index on (purpose, state) is the database's own
// guarantee of one active key: an insert that meets one inserts nothing.
const INSERT_ACTIVE_KEY = `
INSERT INTO orch.signing_keys AS k (key_id, purpose, algorithm, public_jwk, private_jwk, state)
VALUES ($1, $2, $3, $4::text::jsonb, $5::text::jsonb, 'active')
ON CONFLICT (purpose, state) WHERE state <> 'retired' DO NOTHING
RETURNING ${KEY_COLUMNS}`;

// Active first, then previous.
const PUBLISHED_KEYS = `
SELECT ${KEY_COLUMNS}
FROM orch.signing_keys k
WHERE k.purpose = $1 AND k.state IN ('active', 'previous')
ORDER BY k.state = 'active' DESC`;

// A rotation's first two steps, in this order so that the unique index never sees two keys of a state.
const RETIRE_PREVIOUS = `
UPDATE orch.signing_keys
SET state = 'retired'
WHERE purpose = $1 AND state = 'previous'`;

const DEMOTE_ACTIVE = `
UPDATE orch.signing_keys
SET state = 'previous'
WHERE purpose = $1 AND state = 'active'`;

/** A row of orch.signing_keys. */
export interface SigningKeyRow {
  readonly key_id: string;
  readonly purpose: string;
  readonly algorithm: string;
  /** jsonb objects (a CHECK constraint), parsed by the driver. */
  readonly public_jwk: Jwk;
  readonly private_jwk: Jwk;
  readonly state: string;
  readonly created_at: Date | string;
}

/** Takes the purpose's writer lock until the transaction ends. */
export async function lockSigningKeyPurpose(tx: SqlExecutor, purpose: SigningKeyPurpose): Promise<void> {
  await tx.query(LOCK_PURPOSE, [purpose]);
}

/** Inserts `key` as the active key of its purpose; null when the purpose has an active key already. */
export async function insertActiveKey(db: SqlExecutor, key: NewSigningKey): Promise<SigningKeyRow | null> {
  const [row] = await db.query<SigningKeyRow>(INSERT_ACTIVE_KEY, [
    key.keyId,
    key.purpose,
    key.algorithm,
    JSON.stringify(key.publicJwk),
    JSON.stringify(key.privateJwk),
  ]);
  return row ?? null;
}

/** The active and previous keys of a purpose, active first. */
export function listPublishedKeys(db: SqlExecutor, purpose: SigningKeyPurpose): Promise<SigningKeyRow[]> {
  return db.query<SigningKeyRow>(PUBLISHED_KEYS, [purpose]);
}

/** Retires the previous key of a purpose, then makes the active one previous (under the purpose's lock). */
export async function demotePublishedKeys(tx: SqlExecutor, purpose: SigningKeyPurpose): Promise<void> {
  await tx.query(RETIRE_PREVIOUS, [purpose]);
  await tx.query(DEMOTE_ACTIVE, [purpose]);
}
