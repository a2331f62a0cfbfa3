import {
  AUTHORITY_TENANT,
  clientAuditRecord,
  isClientId,
  OrchestratorError,
  validationError,
  type ClientAuditAction,
  type ClientChangeContext,
  type ClientRegistry,
  type NewOAuthClient,
  type OAuthClient,
} from '@stella-orch/core';
import { appendAuditEntry } from './audit-append.js';
import { checkNewClient, checkSecretHash, mapClient } from './client-rows.js';
import { runLedgerOperation } from './ledger-errors.js';
import {
  getClient,
  insertClient,
  listClients,
  lockClient,
  rotateClientSecret,
  setClientDisabled,
} from './queries/clients.js';
import type { SqlDriver, SqlExecutor } from './sql-driver.js';

function clientNotFound(clientId: string): OrchestratorError {
  return new OrchestratorError('CLIENT_NOT_FOUND', `client ${clientId} does not exist`, {
    details: { clientId },
  });
}

/**
 * Appends the audit entry of a registry change to the chain of {@link AUTHORITY_TENANT}, inside the
 * change's transaction (after its client write: the client row first, the head last, as every operator
 * action does).
 */
async function recordChange(
  tx: SqlExecutor,
  action: ClientAuditAction,
  before: OAuthClient | null,
  after: OAuthClient,
  change: ClientChangeContext,
): Promise<void> {
  await appendAuditEntry(
    tx,
    AUTHORITY_TENANT,
    clientAuditRecord({ action, actor: change.actor, before, after, audit: change.audit }),
  );
}

/**
 * The client registry on the ledger (PostgreSQL or PGlite, same SQL): `orch.clients`. Every change and
 * its audit entry (`client.add`, `client.rotate_secret`, `client.disable`, `client.enable`, in the chain
 * of {@link AUTHORITY_TENANT}) commit together or not at all; a refused change, or one whose audit record
 * is refused, writes nothing.
 */
export class PostgresClientRegistry implements ClientRegistry {
  readonly #driver: SqlDriver;

  /** @param driver - a migrated ledger (see `openLedger`) */
  constructor(driver: SqlDriver) {
    this.#driver = driver;
  }

  /** @inheritdoc */
  async getClient(clientId: string): Promise<OAuthClient | null> {
    if (!isClientId(clientId)) return null;
    const row = await runLedgerOperation(() => getClient(this.#driver, clientId));
    return row === null ? null : mapClient(row);
  }

  /** @inheritdoc */
  async listClients(): Promise<OAuthClient[]> {
    const rows = await runLedgerOperation(() => listClients(this.#driver));
    return rows.map(mapClient);
  }

  /**
   * @inheritdoc
   * @throws OrchestratorError `VALIDATION_FAILED` for a client the registry cannot keep (id, name,
   *   scopes, tenants, secret hash) or an audit record the trail refuses; `CLIENT_EXISTS`
   */
  async addClient(client: NewOAuthClient, change: ClientChangeContext): Promise<OAuthClient> {
    const errors = checkNewClient(client);
    if (errors.length > 0) throw validationError(errors);
    return runLedgerOperation(() =>
      this.#driver.transaction(async (tx) => {
        const row = await insertClient(tx, client);
        if (row === null) {
          throw new OrchestratorError('CLIENT_EXISTS', `client ${client.clientId} exists already`, {
            details: { clientId: client.clientId },
          });
        }
        const added = mapClient(row);
        await recordChange(tx, 'client.add', null, added, change);
        return added;
      }),
    );
  }

  /**
   * @inheritdoc
   * @throws OrchestratorError `VALIDATION_FAILED` for an empty secret hash or a refused audit record
   */
  async rotateClientSecret(
    clientId: string,
    secretHash: string,
    change: ClientChangeContext,
  ): Promise<OAuthClient> {
    const errors = checkSecretHash(secretHash);
    if (errors.length > 0) throw validationError(errors);
    if (!isClientId(clientId)) throw clientNotFound(clientId);
    return runLedgerOperation(() =>
      this.#driver.transaction(async (tx) => {
        const before = await lockClient(tx, clientId);
        if (before === null) throw clientNotFound(clientId);
        const row = await rotateClientSecret(tx, clientId, secretHash);
        if (row === null) throw clientNotFound(clientId);
        const rotated = mapClient(row);
        await recordChange(tx, 'client.rotate_secret', mapClient(before), rotated, change);
        return rotated;
      }),
    );
  }

  /**
   * @inheritdoc
   * @throws OrchestratorError `VALIDATION_FAILED` for a refused audit record
   */
  async setClientDisabled(
    clientId: string,
    disabled: boolean,
    change: ClientChangeContext,
  ): Promise<OAuthClient> {
    if (!isClientId(clientId)) throw clientNotFound(clientId);
    return runLedgerOperation(() =>
      this.#driver.transaction(async (tx) => {
        const row = await lockClient(tx, clientId);
        if (row === null) throw clientNotFound(clientId);
        const before = mapClient(row);
        // Already so: nothing to change, nothing to record.
        if (before.disabled === disabled) return before;
        const updated = await setClientDisabled(tx, clientId, disabled);
        if (updated === null) throw clientNotFound(clientId);
        const after = mapClient(updated);
        await recordChange(tx, disabled ? 'client.disable' : 'client.enable', before, after, change);
        return after;
      }),
    );
  }
}
