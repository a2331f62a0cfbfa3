import { BACKFILL_STATUSES, JOB_LIMITS } from '@stella-orch/core';

// JSON Schemas of the backfill and watermark routes (request validation, response serialisation, OpenAPI).

const nullableString = { type: ['string', 'null'] } as const;
const timestamp = { type: 'string', format: 'date-time' } as const;
const nullableTimestamp = { type: ['string', 'null'], format: 'date-time' } as const;
const nullableNumber = { type: ['number', 'null'] } as const;

export const backfillBody = {
  type: 'object',
  additionalProperties: false,
  required: ['sourceId', 'jobType', 'windowStart', 'windowEnd', 'step'],
  properties: {
    sourceId: { type: 'string', minLength: 1, maxLength: 256 },
    jobType: { type: 'string', minLength: 1, maxLength: 128 },
    windowStart: { type: 'string', description: 'ISO-8601 date-time with an offset (inclusive)' },
    windowEnd: {
      type: 'string',
      description: 'ISO-8601 date-time with an offset (exclusive), after windowStart',
    },
    step: {
      anyOf: [
        { type: 'string', minLength: 2, maxLength: 64 },
        { type: 'integer', minimum: 1 },
      ],
      description:
        'An ISO-8601 duration of weeks, days, hours, minutes and seconds (PT1H, P1D, PT15M; no years or months), or whole seconds. UTC arithmetic: a day is 86,400 s.',
    },
    payload: {
      type: 'object',
      description:
        'The template of every job’s payload; the step’s window is added as window: { start, end }.',
    },
    priority: { type: 'integer', minimum: JOB_LIMITS.minPriority, maximum: JOB_LIMITS.maxPriority },
    maxAttempts: { type: 'integer', minimum: 1, maximum: JOB_LIMITS.maxAttemptsLimit },
    dryRun: { type: 'boolean', description: 'Preview only: nothing is written (200 with the preview).' },
  },
} as const;

const backfillProperties = {
  backfillId: { type: 'string' },
  tenantId: { type: 'string' },
  sourceId: { type: 'string' },
  jobType: { type: 'string' },
  windowStart: timestamp,
  windowEnd: timestamp,
  step: { type: 'string' },
  stepSeconds: { type: 'integer' },
  status: { type: 'string', enum: BACKFILL_STATUSES },
  runId: { type: 'string' },
  totalJobs: { type: 'integer' },
  reason: { type: 'string' },
  ticket: { type: 'string' },
  payloadTemplate: { type: 'object', additionalProperties: true },
  priority: { type: 'integer' },
  maxAttempts: { type: 'integer' },
  createdBy: { type: 'string' },
  createdAt: timestamp,
  updatedBy: { type: 'string' },
  updatedAt: timestamp,
  pausedBy: nullableString,
  pausedAt: nullableTimestamp,
  canceledReason: nullableString,
  canceledBy: nullableString,
  canceledAt: nullableTimestamp,
} as const;

export const backfillSchema = {
  type: 'object',
  required: ['backfillId', 'sourceId', 'jobType', 'status', 'runId', 'totalJobs'],
  properties: backfillProperties,
} as const;

export const backfillWithProgressSchema = {
  type: 'object',
  required: [...backfillSchema.required, 'progress'],
  properties: {
    ...backfillProperties,
    progress: {
      type: 'object',
      properties: {
        counts: { type: 'object', additionalProperties: { type: 'integer' } },
        finished: { type: 'integer' },
        percentDone: { type: 'number' },
        watermark: nullableTimestamp,
      },
    },
  },
} as const;

const stepSchema = {
  type: 'object',
  properties: { start: timestamp, end: timestamp },
} as const;

export const backfillPreviewSchema = {
  type: 'object',
  required: ['dryRun', 'jobCount', 'estimate'],
  properties: {
    dryRun: { type: 'boolean' },
    sourceId: { type: 'string' },
    jobType: { type: 'string' },
    windowStart: timestamp,
    windowEnd: timestamp,
    step: { type: 'string' },
    jobCount: { type: 'integer' },
    firstStep: stepSchema,
    lastStep: stepSchema,
    steps: { type: 'array', items: stepSchema },
    stepsTruncated: { type: 'boolean' },
    estimate: {
      type: 'object',
      properties: {
        durationMs: nullableNumber,
        basis: { type: 'string', enum: ['history', 'rate_limit', 'history_and_rate_limit', 'none'] },
        meanJobDurationMs: nullableNumber,
        observedConcurrency: nullableNumber,
        rateLimitPerSecond: nullableNumber,
        note: { type: 'string' },
      },
    },
  },
} as const;

export const watermarkSchema = {
  type: 'object',
  properties: {
    tenantId: { type: 'string' },
    sourceId: { type: 'string' },
    jobType: { type: 'string' },
    watermark: timestamp,
    updatedAt: timestamp,
  },
} as const;

/** A `{ items, next_page_token }` page of an inline schema. */
export function inlinePageOf(items: object) {
  return {
    type: 'object',
    required: ['items', 'next_page_token'],
    properties: { items: { type: 'array', items }, next_page_token: nullableString },
  } as const;
}
