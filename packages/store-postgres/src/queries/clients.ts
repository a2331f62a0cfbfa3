import type { NewOAuthClient } from '@stella-orch/core';
import type { SqlExecutor } from '../sql-driver.js';

const CLIENT_COLUMNS = `c.client_id, c.display_name, c.secret_hash, c.allowed_scopes, c.allowed_tenants, c.disabled,
  c.created_at, c.secret_rotated_at`;

// A taken id inserts nothing (no error, so the transaction stays usable) and the caller answers
// CLIENT_EXISTS; a concurrent insert of the same id waits on the key, then inserts nothing either.
const INSERT_CLIENT = `
INSERT INTO orch.clients AS c (client_id, display_name, secret_hash, allowed_scopes, allowed_tenants)
VALUES ($1, $2, $3, $4::text[], $5::text[])
ON CONFLICT (client_id) DO NOTHING
RETURNING ${CLIENT_COLUMNS}`;

const GET_CLIENT = `
SELECT ${CLIENT_COLUMNS}
FROM orch.clients c
WHERE c.client_id = $1`;

// The client as a change finds it, locked until the transaction ends: the change and its audit entry
// see the same "before".
const LOCK_CLIENT = `
SELECT ${CLIENT_COLUMNS}
FROM orch.clients c
WHERE c.client_id = $1
FOR UPDATE`;

const LIST_CLIENTS = `
SELECT ${CLIENT_COLUMNS}
FROM orch.clients c
ORDER BY c.client_id`;

const ROTATE_SECRET = `
UPDATE orch.clients AS c
SET secret_hash = $2, secret_rotated_at = now(), updated_at = now()
WHERE c.client_id = $1
RETURNING ${CLIENT_COLUMNS}`;

const SET_DISABLED = `
UPDATE orch.clients AS c
SET disabled = $2::boolean, updated_at = now()
WHERE c.client_id = $1
RETURNING ${CLIENT_COLUMNS}`;

/** A row of orch.clients. */
export interface ClientRow {
  readonly client_id: string;
  readonly display_name: string;
  readonly secret_hash: string;
  readonly allowed_scopes: readonly string[];
  readonly allowed_tenants: readonly string[];
  readonly disabled: boolean;
  readonly created_at: Date | string;
  readonly secret_rotated_at: Date | string | null;
}

/** Inserts a client; null when the id is taken. */
export async function insertClient(db: SqlExecutor, client: NewOAuthClient): Promise<ClientRow | null> {
  const [row] = await db.query<ClientRow>(INSERT_CLIENT, [
    client.clientId,
    client.displayName,
    client.secretHash,
    [...client.allowedScopes],
    [...client.allowedTenants],
  ]);
  return row ?? null;
}

/** One client, or null. */
export async function getClient(db: SqlExecutor, clientId: string): Promise<ClientRow | null> {
  const [row] = await db.query<ClientRow>(GET_CLIENT, [clientId]);
  return row ?? null;
}

/** One client, locked until the transaction ends, or null. */
export async function lockClient(tx: SqlExecutor, clientId: string): Promise<ClientRow | null> {
  const [row] = await tx.query<ClientRow>(LOCK_CLIENT, [clientId]);
  return row ?? null;
}

/** Every client, by client id. */
export function listClients(db: SqlExecutor): Promise<ClientRow[]> {
  return db.query<ClientRow>(LIST_CLIENTS);
}

/** Replaces a client's secret hash and stamps the rotation; null when the client does not exist. */
export async function rotateClientSecret(
  db: SqlExecutor,
  clientId: string,
  secretHash: string,
): Promise<ClientRow | null> {
  const [row] = await db.query<ClientRow>(ROTATE_SECRET, [clientId, secretHash]);
  return row ?? null;
}

/** Sets a client's disabled flag; null when the client does not exist. */
export async function setClientDisabled(
  db: SqlExecutor,
  clientId: string,
  disabled: boolean,
): Promise<ClientRow | null> {
  const [row] = await db.query<ClientRow>(SET_DISABLED, [clientId, disabled]);
  return row ?? null;
}
