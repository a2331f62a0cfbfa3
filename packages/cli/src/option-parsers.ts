import { isJobStatus, type JobStatus, type JsonValue } from '@stella-orch/client';
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
