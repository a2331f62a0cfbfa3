import type { ClientWithSecret, RegisteredClient } from '@stella-orch/client';
import { formatTime, renderFields, renderTable } from './output.js';

/** What is said, on stderr, next to a printed client secret. */
export const SECRET_WARNING =
  'Store this secret now: it is shown only once and cannot be shown again (the server keeps only a ' +
  'hash). If it is lost, make a new one with `stella-orch clients rotate-secret`.';

/** The client list: id, name, scopes, tenants, state, source, creation and rotation times. */
export function renderClientList(clients: readonly RegisteredClient[]): string {
  if (clients.length === 0) return 'No clients.';
  return renderTable(
    ['CLIENT ID', 'NAME', 'SCOPES', 'TENANTS', 'STATE', 'SOURCE', 'CREATED', 'SECRET ROTATED'],
    clients.map((c) => [
      c.clientId,
      c.displayName,
      c.scopes.join(' '),
      c.tenants.join(','),
      stateOf(c),
      c.source,
      formatTime(c.createdAt),
      formatTime(c.secretRotatedAt),
    ]),
  );
}

/** One client, field by field. */
export function renderClient(client: RegisteredClient): string {
  return renderFields([
    ['Client ID', client.clientId],
    ['Name', client.displayName],
    ['Scopes', client.scopes.join(' ')],
    ['Tenants', client.tenants.join(', ')],
    ['State', stateOf(client)],
    ['Source', client.source],
    ['Created', formatTime(client.createdAt)],
    ['Secret rotated', formatTime(client.secretRotatedAt)],
  ]);
}

/** A client and its new secret. */
export function renderClientWithSecret(answer: ClientWithSecret): string {
  return `${renderClient(answer.client)}\nClient secret: ${answer.clientSecret}`;
}

function stateOf(client: RegisteredClient): string {
  return client.disabled ? 'disabled' : 'enabled';
}
