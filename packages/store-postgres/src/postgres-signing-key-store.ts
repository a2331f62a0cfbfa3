import {
  OrchestratorError,
  type NewSigningKey,
  type SigningKeyPurpose,
  type SigningKeyState,
  type SigningKeyStore,
  type StoredSigningKey,
} from '@stella-orch/core';
import { runLedgerOperation } from './ledger-errors.js';
import {
  demotePublishedKeys,
  insertActiveKey,
  listPublishedKeys,
  lockSigningKeyPurpose,
  type SigningKeyRow,
} from './queries/signing-keys.js';
import { toIso } from './row-mappers.js';
import type { SqlDriver } from './sql-driver.js';

function toPurpose(value: string): SigningKeyPurpose {
  if (value === 'token' || value === 'audit-checkpoint') return value;
  throw new OrchestratorError('INTERNAL', `the ledger holds a signing key of an unknown purpose ${value}`);
}

function toState(value: string): SigningKeyState {
  if (value === 'active' || value === 'previous' || value === 'retired') return value;
  throw new OrchestratorError('INTERNAL', `the ledger holds a signing key in an unknown state ${value}`);
}

/** A key row as the port's {@link StoredSigningKey}. */
function mapSigningKey(row: SigningKeyRow): StoredSigningKey {
  return {
    keyId: row.key_id,
    purpose: toPurpose(row.purpose),
    algorithm: row.algorithm,
    publicJwk: row.public_jwk,
    privateJwk: row.private_jwk,
    state: toState(row.state),
    createdAt: toIso(row.created_at),
  };
}

/**
 * The signing keys on the ledger (PostgreSQL or PGlite, same SQL): `orch.signing_keys`. The writers of a
 * purpose's keys take a transaction-scoped advisory lock of that purpose, so a first key and rotations
 * never interleave, whichever replica runs them; the partial unique index on `(purpose, state)` keeps at
 * most one active and one previous key per purpose whatever writes.
 */
export class PostgresSigningKeyStore implements SigningKeyStore {
  readonly #driver: SqlDriver;

  /** @param driver - a migrated ledger (see `openLedger`) */
  constructor(driver: SqlDriver) {
    this.#driver = driver;
  }

  /** @inheritdoc */
  async listPublishedKeys(purpose: SigningKeyPurpose): Promise<StoredSigningKey[]> {
    const rows = await runLedgerOperation(() => listPublishedKeys(this.#driver, purpose));
    return rows.map(mapSigningKey);
  }

  /**
   * @inheritdoc
   * @throws OrchestratorError `VALIDATION_FAILED` when the candidate's key id is taken (only reached when
   *   no key of its purpose is active)
   */
  async ensureActiveKey(candidate: NewSigningKey): Promise<StoredSigningKey> {
    return runLedgerOperation(() =>
      this.#driver.transaction(async (tx) => {
        await lockSigningKeyPurpose(tx, candidate.purpose);
        const inserted = await insertActiveKey(tx, candidate);
        if (inserted !== null) return mapSigningKey(inserted);
        const [active] = await listPublishedKeys(tx, candidate.purpose);
        if (active?.state !== 'active') {
          throw new OrchestratorError(
            'INTERNAL',
            `no active ${candidate.purpose} key, yet none could be stored`,
          );
        }
        return mapSigningKey(active);
      }),
    );
  }

  /**
   * @inheritdoc
   * @throws OrchestratorError `VALIDATION_FAILED` when the candidate's key id is taken (nothing changes)
   */
  async rotateKey(candidate: NewSigningKey): Promise<StoredSigningKey[]> {
    return runLedgerOperation(() =>
      this.#driver.transaction(async (tx) => {
        await lockSigningKeyPurpose(tx, candidate.purpose);
        await demotePublishedKeys(tx, candidate.purpose);
        if ((await insertActiveKey(tx, candidate)) === null) {
          throw new OrchestratorError('INTERNAL', `the ${candidate.purpose} key could not be made active`);
        }
        return (await listPublishedKeys(tx, candidate.purpose)).map(mapSigningKey);
      }),
    );
  }
}
