import {
  OrchestratorError,
  type ClientDirectory,
  type ClientRegistry,
  type OAuthClient,
} from '@stella-orch/core';

/**
 * The clients the Authority knows: those declared in the configuration file (read-only at run time) and
 * those of the ledger's registry. A configured client shadows nothing: the registry refuses its id.
 */
export class ConfiguredClientDirectory implements ClientDirectory {
  readonly #configured: ReadonlyMap<string, OAuthClient>;
  readonly #registry: ClientRegistry;

  constructor(configured: readonly OAuthClient[], registry: ClientRegistry) {
    this.#configured = new Map(configured.map((client) => [client.clientId, client]));
    this.#registry = registry;
  }

  async findClient(clientId: string): Promise<OAuthClient | null> {
    return this.#configured.get(clientId) ?? (await this.#registry.getClient(clientId));
  }

  /** Every client, configured ones first, each group by id. */
  async listClients(): Promise<OAuthClient[]> {
    const configured = [...this.#configured.values()].sort((a, b) => a.clientId.localeCompare(b.clientId));
    return [...configured, ...(await this.#registry.listClients())];
  }

  /** @throws OrchestratorError `CLIENT_READ_ONLY` when `clientId` is declared in the configuration */
  assertManaged(clientId: string): void {
    if (this.#configured.has(clientId)) {
      throw new OrchestratorError(
        'CLIENT_READ_ONLY',
        `client ${clientId} is declared in the configuration file; change it there`,
      );
    }
  }

  /** Whether the configuration declares `clientId`. */
  isConfigured(clientId: string): boolean {
    return this.#configured.has(clientId);
  }
}
