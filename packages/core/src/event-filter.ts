import { validationError, type FieldError } from './errors.js';
import type { EventEnvelope } from './event-envelope.js';

/**
 * Which events of a tenant a reader wants; every given criterion must hold. `types` are prefixes of the
 * event type (`job.` for the job lifecycle, `job.failed` for one type, `operator.` for operator actions):
 * an event matches when its type starts with any of them.
 */
export interface EventFilter {
  readonly types?: readonly string[];
  readonly jobType?: string;
  /** The job's `sourceId`. */
  readonly sourceId?: string;
  readonly runId?: string;
  readonly jobId?: string;
}

/** The filter as a request gives it: comma-separated type prefixes, the other criteria as text. */
export interface EventFilterInput {
  readonly type?: string | undefined;
  readonly jobType?: string | undefined;
  readonly source?: string | undefined;
  readonly runId?: string | undefined;
  readonly jobId?: string | undefined;
}

/** At most this many type prefixes in one filter. */
export const MAX_EVENT_TYPE_PREFIXES = 20;

const TYPE_PREFIX = /^[a-z][a-z0-9_.]{0,127}$/;
const MAX_VALUE_LENGTH = 256;

/**
 * Reads and checks a filter: `type` is a comma-separated list of up to {@link MAX_EVENT_TYPE_PREFIXES}
 * prefixes of lower-case letters, digits, `_` and `.`; the other values are 1–256 characters.
 * @throws OrchestratorError `VALIDATION_FAILED` naming each bad field
 */
export function parseEventFilter(input: EventFilterInput): EventFilter {
  const errors: FieldError[] = [];
  const filter: {
    types?: string[];
    jobType?: string;
    sourceId?: string;
    runId?: string;
    jobId?: string;
  } = {};
  if (input.type !== undefined) {
    const types = input.type.split(',').map((part) => part.trim());
    if (types.length > MAX_EVENT_TYPE_PREFIXES) {
      errors.push({ path: 'type', message: `must name at most ${MAX_EVENT_TYPE_PREFIXES} prefixes` });
    } else if (!types.every((type) => TYPE_PREFIX.test(type))) {
      errors.push({
        path: 'type',
        message: 'must be comma-separated event type prefixes (a-z, 0-9, _ and .), such as job.,operator.',
      });
    } else {
      filter.types = types;
    }
  }
  const single: readonly (readonly [keyof EventFilterInput, 'jobType' | 'sourceId' | 'runId' | 'jobId'])[] = [
    ['jobType', 'jobType'],
    ['source', 'sourceId'],
    ['runId', 'runId'],
    ['jobId', 'jobId'],
  ];
  for (const [from, to] of single) {
    const value = input[from];
    if (value === undefined) continue;
    if (value.length === 0 || value.length > MAX_VALUE_LENGTH) {
      errors.push({ path: from, message: `must be 1–${MAX_VALUE_LENGTH} characters` });
      continue;
    }
    filter[to] = to === 'jobId' ? value.toLowerCase() : value;
  }
  if (errors.length > 0) throw validationError(errors);
  return filter;
}

/** Whether `event` passes `filter` (the one definition of the filters, for live and stored reads alike). */
export function matchesEventFilter(event: EventEnvelope, filter: EventFilter): boolean {
  if (filter.types !== undefined && !filter.types.some((prefix) => event.eventType.startsWith(prefix))) {
    return false;
  }
  if (filter.jobType !== undefined && event.jobType !== filter.jobType) return false;
  if (filter.sourceId !== undefined && event.sourceId !== filter.sourceId) return false;
  if (filter.runId !== undefined && event.runId !== filter.runId) return false;
  if (filter.jobId !== undefined && event.jobId !== filter.jobId) return false;
  return true;
}
