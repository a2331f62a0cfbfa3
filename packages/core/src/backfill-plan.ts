import { canonicalJson, sha256Digest, type JsonValue } from './canonical-json.js';
import type { FieldError } from './errors.js';
import { IDENTIFIER_PATTERN, JOB_LIMITS } from './job-submission.js';

/** What an operator asks for with `POST /backfills` (docs/decisions/0017-backfills-and-watermarks.md). */
export interface BackfillRequest {
  readonly sourceId: string;
  readonly jobType: string;
  /** ISO-8601 date-time with an offset: the first step starts here (inclusive). */
  readonly windowStart: string;
  /** ISO-8601 date-time with an offset: the last step ends here (exclusive); after `windowStart`. */
  readonly windowEnd: string;
  /** An ISO-8601 duration of weeks, days, hours, minutes and seconds (`PT1H`, `P1D`), or whole seconds. */
  readonly step: string | number;
  /** A JSON object every job's payload starts from; the step's window is added as `window`. */
  readonly payload?: JsonValue;
  readonly priority?: number;
  readonly maxAttempts?: number;
  /** Preview only: nothing is written. */
  readonly dryRun?: boolean;
}

/** One step of a backfill: the event-time window one job processes, `[start, end)` in UTC. */
export interface BackfillStep {
  readonly start: string;
  readonly end: string;
}

/** A checked request, in the units the ledger stores. */
export interface BackfillPlan {
  readonly windowStartMs: number;
  readonly windowEndMs: number;
  readonly stepSeconds: number;
  /** The number of steps, and so of jobs: ⌈(end − start) / step⌉ (the last step is cut at the end). */
  readonly jobCount: number;
}

/** The bounds of a backfill: the longest step accepted (a year of 366 days). */
export const BACKFILL_LIMITS = { maxStepSeconds: 366 * 86_400, defaultMaxJobs: 10_000 } as const;

const DATE_TIME_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/i;
const JOB_TYPE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;
// Weeks, or days and a time part. Years and months are refused: their length depends on the calendar.
const DURATION_PATTERN =
  /^P(?:(\d{1,6})W|(?:(\d{1,6})D)?(?:T(?:(\d{1,8})H)?(?:(\d{1,10})M)?(?:(\d{1,12})S)?)?)$/;

const UNIT_SECONDS = [604_800, 86_400, 3_600, 60, 1] as const;

/**
 * The seconds of a step: an ISO-8601 duration (`P1W`, `P1D`, `PT6H`, `PT90M`, `P1DT12H`; whole numbers, no
 * years or months) or a whole number of seconds. UTC arithmetic: a day is always 86,400 seconds.
 *
 * @returns the seconds, or `null` when `step` is neither
 */
export function parseStepSeconds(step: string | number): number | null {
  if (typeof step === 'number') return Number.isSafeInteger(step) ? step : null;
  const match = DURATION_PATTERN.exec(step);
  if (match === null || step === 'P' || step.endsWith('T')) return null;
  let seconds = 0;
  UNIT_SECONDS.forEach((unit, i) => {
    const value = match[i + 1];
    if (value !== undefined) seconds += Number(value) * unit;
  });
  return seconds;
}

/** The ISO-8601 duration of a step in seconds, in its largest whole units (`P1D`, `PT1H30M`). */
export function formatStep(stepSeconds: number): string {
  const days = Math.floor(stepSeconds / 86_400);
  let rest = stepSeconds % 86_400;
  const hours = Math.floor(rest / 3_600);
  rest %= 3_600;
  const minutes = Math.floor(rest / 60);
  const seconds = rest % 60;
  const time = `${hours > 0 ? `${hours}H` : ''}${minutes > 0 ? `${minutes}M` : ''}${seconds > 0 ? `${seconds}S` : ''}`;
  return `P${days > 0 ? `${days}D` : ''}${time === '' ? '' : `T${time}`}`;
}

function instantOf(value: string): number | null {
  if (!DATE_TIME_PATTERN.test(value)) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

function isJsonObject(value: JsonValue | undefined): value is Readonly<Record<string, JsonValue>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks a backfill request (not the source: the ledger does) and plans it. The job count is computed,
 * never the steps themselves, so a request for a billion steps costs nothing to refuse.
 *
 * @returns the field errors, and the plan when there are none; `tooMany` when only the job count is over
 *   `maxJobs` (answered `BACKFILL_TOO_LARGE`, not `VALIDATION_FAILED`)
 */
export function planBackfill(
  input: BackfillRequest,
  maxJobs: number,
): { readonly errors: FieldError[]; readonly plan: BackfillPlan | null; readonly tooMany: boolean } {
  const errors: FieldError[] = [];
  if (typeof input.sourceId !== 'string' || !IDENTIFIER_PATTERN.test(input.sourceId))
    errors.push({
      path: 'sourceId',
      message: 'must be 1–256 of A-Z a-z 0-9 . _ : / @ - starting with a letter or digit',
    });
  if (typeof input.jobType !== 'string' || !JOB_TYPE_PATTERN.test(input.jobType))
    errors.push({
      path: 'jobType',
      message: 'must be 1–128 of A-Z a-z 0-9 . _ : / - starting with a letter or digit',
    });
  const start = instantOf(input.windowStart);
  const end = instantOf(input.windowEnd);
  if (start === null)
    errors.push({ path: 'windowStart', message: 'must be an ISO-8601 date-time with an offset' });
  if (end === null)
    errors.push({ path: 'windowEnd', message: 'must be an ISO-8601 date-time with an offset' });
  if (start !== null && end !== null && end <= start)
    errors.push({ path: 'windowEnd', message: 'must be after windowStart' });
  const stepSeconds = parseStepSeconds(input.step);
  if (stepSeconds === null || stepSeconds < 1 || stepSeconds > BACKFILL_LIMITS.maxStepSeconds) {
    errors.push({
      path: 'step',
      message: `must be an ISO-8601 duration of weeks, days, hours, minutes, seconds (PT1H, P1D) or whole seconds, from 1 s to ${BACKFILL_LIMITS.maxStepSeconds} s`,
    });
  }
  if (input.payload !== undefined) {
    if (!isJsonObject(input.payload)) errors.push({ path: 'payload', message: 'must be a JSON object' });
    else if ('window' in input.payload)
      errors.push({ path: 'payload.window', message: 'is set by the backfill to each step’s window' });
  }
  const { minPriority, maxPriority, maxAttemptsLimit } = JOB_LIMITS;
  if (
    input.priority !== undefined &&
    (!Number.isInteger(input.priority) || input.priority < minPriority || input.priority > maxPriority)
  )
    errors.push({ path: 'priority', message: `must be an integer from ${minPriority} to ${maxPriority}` });
  if (
    input.maxAttempts !== undefined &&
    (!Number.isInteger(input.maxAttempts) || input.maxAttempts < 1 || input.maxAttempts > maxAttemptsLimit)
  )
    errors.push({ path: 'maxAttempts', message: `must be an integer from 1 to ${maxAttemptsLimit}` });
  if (errors.length > 0 || start === null || end === null || stepSeconds === null)
    return { errors, plan: null, tooMany: false };
  const jobCount = Math.ceil((end - start) / (stepSeconds * 1_000));
  const plan = { windowStartMs: start, windowEndMs: end, stepSeconds, jobCount };
  return { errors, plan, tooMany: jobCount > maxJobs };
}

/** Step `index` (from 0) of a plan: `[start + i·step, min(start + (i+1)·step, end))`, in UTC. */
export function backfillStep(plan: BackfillPlan, index: number): BackfillStep {
  const stepMs = plan.stepSeconds * 1_000;
  const start = plan.windowStartMs + index * stepMs;
  const end = Math.min(start + stepMs, plan.windowEndMs);
  return { start: new Date(start).toISOString(), end: new Date(end).toISOString() };
}

/** Every step of a plan, in order (the ledger calls this only for plans within `backfill.maxJobs`). */
export function backfillSteps(plan: BackfillPlan): BackfillStep[] {
  return Array.from({ length: plan.jobCount }, (_, i) => backfillStep(plan, i));
}

/** The payload of a step's job: the template with the step's window as `window: { start, end }`. */
export function backfillJobPayload(template: JsonValue | undefined, step: BackfillStep): JsonValue {
  const base = isJsonObject(template) ? template : {};
  return { ...base, window: { start: step.start, end: step.end } };
}

/**
 * The digest of a backfill request, for its `Idempotency-Key`: the same key with the same request (dry
 * run aside; defaults applied by the caller) is a repeat, with another one a conflict.
 */
export function backfillRequestDigest(input: BackfillRequest, plan: BackfillPlan): string {
  return sha256Digest(
    canonicalJson({
      sourceId: input.sourceId,
      jobType: input.jobType,
      windowStartMs: plan.windowStartMs,
      windowEndMs: plan.windowEndMs,
      stepSeconds: plan.stepSeconds,
      payload: input.payload ?? {},
      priority: input.priority ?? null,
      maxAttempts: input.maxAttempts ?? null,
    }),
  );
}
