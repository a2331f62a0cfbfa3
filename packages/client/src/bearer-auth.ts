import type { OrchestratorClientOptions } from './client-options.js';
import { defaultTokenUrl } from './client-credentials.js';
import type { RetryOptions } from './http-transport.js';
import { ClientCredentialsTokenProvider } from './token-provider.js';

/** Where a client's bearer tokens come from, and what happens when the API refuses one. */
export interface BearerAuth {
  /** The token for the next attempt. */
  token(signal?: AbortSignal): Promise<string>;
  /** After the API answered 401 to `refused`: whether repeating the request may succeed with another token. */
  refused(refused: string): Promise<boolean>;
}

/**
 * The bearer source of a client's options: a {@link ClientCredentialsTokenProvider} for `credentials`, the
 * given token or function for `accessToken`, nothing when neither is set.
 * @throws TypeError when both are set, or when `tenant` and `credentials.tenant` differ
 */
export function bearerAuthFor(
  options: OrchestratorClientOptions,
  transport: { readonly fetch: typeof fetch; readonly retry: RetryOptions; readonly timeoutMs: number },
): BearerAuth | undefined {
  const { credentials, accessToken } = options;
  if (credentials !== undefined && accessToken !== undefined) {
    throw new TypeError('give either credentials or accessToken, not both');
  }
  if (credentials !== undefined) {
    const { tenant } = options;
    if (tenant !== undefined && credentials.tenant !== undefined && tenant !== credentials.tenant) {
      throw new TypeError(
        `tenant "${tenant}" and credentials.tenant "${credentials.tenant}" differ: the server would refuse every call`,
      );
    }
    const provider = new ClientCredentialsTokenProvider({
      credentials,
      tokenUrl: credentials.tokenUrl ?? defaultTokenUrl(options.baseUrl),
      tenant,
      ...transport,
    });
    return {
      token: (signal) => provider.getToken(signal),
      refused: (refused) => {
        provider.invalidate(refused);
        return Promise.resolve(true);
      },
    };
  }
  if (typeof accessToken === 'string') {
    return { token: () => Promise.resolve(accessToken), refused: () => Promise.resolve(false) };
  }
  if (typeof accessToken === 'function') {
    // The function keeps its own cache: a repeat is worth it only if it now gives another token.
    return { token: () => accessToken(), refused: async (refused) => (await accessToken()) !== refused };
  }
  return undefined;
}

/** The token of an `Authorization: Bearer …` header, or `undefined`. */
export function bearerTokenOf(headers: Headers): string | undefined {
  const match = /^Bearer (.+)$/i.exec(headers.get('authorization') ?? '');
  return match?.[1];
}
