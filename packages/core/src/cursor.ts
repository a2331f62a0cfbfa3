import { OrchestratorError } from './errors.js';

/** Encodes an opaque page token from the sort key of the last item of a page. */
export function encodePageToken(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/**
 * Decodes a page token made by {@link encodePageToken} holding `arity` parts.
 * @throws OrchestratorError `INVALID_CURSOR`
 */
export function decodePageToken(token: string, arity: number): (string | number)[] {
  try {
    const value: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === arity &&
      value.every((part) => typeof part === 'string' || typeof part === 'number')
    ) {
      return value;
    }
  } catch {
    // fall through to the error below: every malformed token answers the same way
  }
  throw new OrchestratorError('INVALID_CURSOR', 'page_token is not a token this server issued');
}

/** Page-size bounds of every list (SPEC §4). */
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;
