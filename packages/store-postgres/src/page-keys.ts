import { decodePageToken, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, OrchestratorError } from '@stella-orch/core';

/** The rows one page asks for: the requested size within 1 … {@link MAX_PAGE_SIZE}, or the default. */
export function pageLimit(requested: number): number {
  return Number.isInteger(requested) ? Math.min(Math.max(requested, 1), MAX_PAGE_SIZE) : DEFAULT_PAGE_SIZE;
}

/**
 * The `seq` a page token made from the last row's `seq` holds; `null` without a token (the first page).
 * @throws OrchestratorError `INVALID_CURSOR`
 */
export function decodeSeqToken(token: string | undefined): number | null {
  if (token === undefined) return null;
  const [seq] = decodePageToken(token, 1);
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) {
    throw new OrchestratorError('INVALID_CURSOR', 'page_token is not a token this server issued');
  }
  return seq;
}
