import {
  isJobStatus,
  isOrchestratorScope,
  ORCHESTRATOR_SCOPES,
  type JobStatus,
  type JsonValue,
  type OrchestratorScope,
} from '@stella-orch/client';
import { InvalidArgumentError } from 'commander';

/**
 * A commander argument parser for an integer from `min` to `max`.
 * @throws InvalidArgumentError (a usage error) for anything else
 */
export function integerIn(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = /^-?\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`Must be an integer from ${min} to ${max}.`);
    }
    return n;
  };
}

/**
 * Parses a comma-separated list of job statuses (`pending,failed`).
 * @throws InvalidArgumentError naming the unknown status
 */
export function statusList(value: string): JobStatus[] {
  const statuses = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const status of statuses) {
    if (!isJobStatus(status)) {
      throw new InvalidArgumentError(
        `Unknown status "${status}"; use waiting, pending, leased, running, succeeded, failed or canceled.`,
      );
    }
  }
  if (statuses.length === 0) throw new InvalidArgumentError('List at least one status.');
  return statuses as JobStatus[];
}

/**
 * Parses JSON given on the command line.
 * @throws InvalidArgumentError with the parser's complaint
 */
export function jsonValue(value: string): JsonValue {
  try {
    return JSON.parse(value) as JsonValue;
  } catch (error) {
    throw new InvalidArgumentError(
      `Not valid JSON: ${error instanceof Error ? error.message : String(error)}.`,
    );
  }
}

/**
 * Parses a comma-separated list of scopes (`orch:read,orch:submit`).
 * @throws InvalidArgumentError naming the unknown scope
 */
export function scopeList(value: string): OrchestratorScope[] {
  const scopes = commaList(value);
  for (const scope of scopes) {
    if (!isOrchestratorScope(scope)) {
      throw new InvalidArgumentError(`Unknown scope "${scope}"; use ${ORCHESTRATOR_SCOPES.join(', ')}.`);
    }
  }
  if (scopes.length === 0) throw new InvalidArgumentError('List at least one scope.');
  return scopes as OrchestratorScope[];
}

/**
 * Parses a comma-separated list of names (tenants: `t1,t2`, or `*` for all).
 * @throws InvalidArgumentError for an empty list
 */
export function nameList(value: string): string[] {
  const names = commaList(value);
  if (names.length === 0) throw new InvalidArgumentError('List at least one name.');
  return names;
}

const DURATION_UNITS_MS: Readonly<Record<string, number>> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/**
 * A commander parser for a point in time: an ISO-8601 date or timestamp (`2030-01-31`,
 * `2030-01-31T12:00:00Z`), or a duration before now (`90s`, `30m`, `12h`, `7d`). Gives ISO-8601 UTC.
 */
export function pointInTime(now: () => number = Date.now): (value: string) => string {
  return (value) => {
    const text = value.trim();
    const duration = /^(\d+)([smhd])$/.exec(text);
    if (duration !== null) {
      const ms = Number(duration[1]) * (DURATION_UNITS_MS[duration[2] ?? 's'] ?? 1_000);
      return new Date(now() - ms).toISOString();
    }
    const at = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN;
    if (Number.isNaN(at)) {
      throw new InvalidArgumentError(
        'Give an ISO-8601 time (2030-01-31T12:00:00Z) or a duration ago (30m, 12h, 7d).',
      );
    }
    return new Date(at).toISOString();
  };
}

function commaList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}
