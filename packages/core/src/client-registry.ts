import type { AuditMetadata } from './audit-entry.js';
import type { Actor } from './job.js';
import type { NewOAuthClient, OAuthClient } from './oauth-client.js';

/** Who changes the registry and why: recorded in the audit entry written with the change. */
export interface ClientChangeContext {
  readonly actor: Actor;
  readonly audit: AuditMetadata;
}

/**
 * The ledger's client registry (clients managed at run time; those of the configuration file are not
 * here). Every change appends its audit entry (`client.add`, `client.rotate_secret`, `client.disable`,
 * `client.enable`) to the chain of {@link AUTHORITY_TENANT} in the same transaction, with the client
 * before and after and never a secret or its hash.
 */
export interface ClientRegistry {
  /** A registered client, or `null`. */
  getClient(clientId: string): Promise<OAuthClient | null>;
  /** Every registered client, by client id. */
  listClients(): Promise<OAuthClient[]>;
  /** @throws OrchestratorError `CLIENT_EXISTS` */
  addClient(client: NewOAuthClient, change: ClientChangeContext): Promise<OAuthClient>;
  /** Replaces the secret hash. @throws OrchestratorError `CLIENT_NOT_FOUND` */
  rotateClientSecret(clientId: string, secretHash: string, change: ClientChangeContext): Promise<OAuthClient>;
  /** Disables or re-enables a client; a repeat changes nothing and records nothing. @throws OrchestratorError `CLIENT_NOT_FOUND` */
  setClientDisabled(clientId: string, disabled: boolean, change: ClientChangeContext): Promise<OAuthClient>;
}
