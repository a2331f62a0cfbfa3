import { ANY_TENANT, SCOPES, type Actor, type Scope } from '@stella-orch/core';
import type { Authority } from './authority.js';
import { generateClientSecret } from './scrypt-secret-hasher.js';

/** A client made on first start, with its secret: shown once, never stored in clear. */
export interface BootstrappedClient {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly scopes: readonly Scope[];
}

const DEVELOPMENT_CLIENTS: readonly { clientId: string; displayName: string; scopes: readonly Scope[] }[] = [
  { clientId: 'admin', displayName: 'Development administrator', scopes: SCOPES },
  { clientId: 'producer', displayName: 'Development producer', scopes: ['orch:submit', 'orch:read'] },
  { clientId: 'worker', displayName: 'Development worker', scopes: ['orch:worker'] },
];

const BOOTSTRAP_ACTOR: Actor = { subject: 'stella-orch-bootstrap', clientId: null, scopes: [] };

/**
 * On the first start of an Authority that knows no client (none configured, an empty registry), registers
 * an admin, a producer and a worker client for every tenant, each change audited like any other.
 * @returns the clients made, with their secrets, for the caller to show once; empty when there were clients
 */
export async function bootstrapClients(authority: Authority): Promise<BootstrappedClient[]> {
  if (!authority.config.bootstrapClients || authority.tokens === null) return [];
  if ((await authority.clients.listClients()).length > 0) return [];
  const made: BootstrappedClient[] = [];
  for (const client of DEVELOPMENT_CLIENTS) {
    const clientSecret = generateClientSecret();
    await authority.registry.addClient(
      {
        clientId: client.clientId,
        displayName: client.displayName,
        allowedScopes: client.scopes,
        allowedTenants: [ANY_TENANT],
        secretHash: await authority.secrets.hash(clientSecret),
      },
      {
        actor: BOOTSTRAP_ACTOR,
        audit: { reason: 'first start: development clients', correlationId: 'bootstrap' },
      },
    );
    made.push({ clientId: client.clientId, clientSecret, scopes: client.scopes });
  }
  return made;
}

/** The first-start message: each client's id, secret and scopes, and how to get a token. */
export function describeBootstrappedClients(clients: readonly BootstrappedClient[], url: string): string {
  const width = Math.max(...clients.map((client) => client.clientId.length));
  const lines = [
    '',
    'First start: these development clients were created. Their secrets are shown only now;',
    'only their hashes are stored. Keep them, or rotate them with `stella-orch clients rotate-secret`.',
    '',
    ...clients.map(
      (client) => `  ${client.clientId.padEnd(width)}  ${client.clientSecret}  ${client.scopes.join(' ')}`,
    ),
    '',
    'A token, for example:',
    `  curl -s -u producer:<secret> -d grant_type=client_credentials -d scope=orch:read ${url}/connect/token`,
    '',
  ];
  return lines.join('\n');
}
