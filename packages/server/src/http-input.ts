import {
  DEFAULT_PAGE_SIZE,
  isJobStatus,
  MAX_PAGE_SIZE,
  OrchestratorError,
  validationError,
  type JobStatus,
} from '@stella-orch/core';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `value` is a UUID in its textual form. */
export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}

/** A job id from the path; a malformed one names no job (404, like any unknown id). */
export function jobIdFrom(value: string): string {
  if (!isUuid(value))
    throw new OrchestratorError('JOB_NOT_FOUND', `job ${value} does not exist`, {
      details: { jobId: value },
    });
  return value.toLowerCase();
}

/** `page_size` / `page_token` of a list request (SPEC §4: default 50, max 500). */
export function pageFrom(query: { page_size?: string; page_token?: string }): {
  pageSize: number;
  pageToken?: string;
} {
  const pageSize = query.page_size === undefined ? DEFAULT_PAGE_SIZE : Number(query.page_size);
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
    throw validationError([
      { path: 'querystring.page_size', message: `must be an integer from 1 to ${MAX_PAGE_SIZE}` },
    ]);
  }
  return query.page_token === undefined || query.page_token === ''
    ? { pageSize }
    : { pageSize, pageToken: query.page_token };
}

/** A comma-separated status filter. */
export function statusesFrom(value: string | undefined): JobStatus[] | undefined {
  if (value === undefined || value === '') return undefined;
  const parts = value.split(',').map((s) => s.trim());
  const bad = parts.filter((s) => !isJobStatus(s));
  if (bad.length > 0)
    throw validationError([{ path: 'querystring.status', message: `unknown status ${bad.join(', ')}` }]);
  return parts as JobStatus[];
}

/** An ISO-8601 time filter, normalised. */
export function timeFrom(value: string | undefined, path: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw validationError([{ path, message: 'must be an ISO-8601 date-time' }]);
  return new Date(ms).toISOString();
}

/** The `Idempotency-Key` header, if any. */
export function idempotencyKeyFrom(
  headers: Record<string, string | string[] | undefined>,
): string | undefined {
  const raw = headers['idempotency-key'];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined || value === '') return undefined;
  if (!/^[\x21-\x7e]{1,200}$/.test(value)) {
    throw validationError([
      { path: 'header.idempotency-key', message: 'must be 1–200 printable characters' },
    ]);
  }
  return value;
}

/**
 * The version an optimistic update expects: `If-Match: "N"` (weak or strong), else the body's `version`;
 * `*` or neither: any version.
 * @param resource - what the ETag is of, for the message (`a quota`)
 * @throws OrchestratorError `VALIDATION_FAILED` for an `If-Match` that names no version
 */
export function expectedVersionFrom(
  header: string | string[] | undefined,
  bodyVersion: number | undefined,
  resource: string,
): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value.trim() === '*') return bodyVersion;
  const match = /^\s*(?:W\/)?"([1-9][0-9]{0,9})"\s*$/.exec(value);
  if (match?.[1] === undefined) {
    throw validationError([
      { path: 'header.if-match', message: `must be the ETag of ${resource} ("N"), or *` },
    ]);
  }
  return Number(match[1]);
}
