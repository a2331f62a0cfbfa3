import {
  BURN_WINDOWS,
  INCIDENT_STATUSES,
  MAX_BURN_THRESHOLD,
  MAX_SLO_WINDOW_SECONDS,
  MIN_SLO_WINDOW_SECONDS,
} from '@stella-orch/core';

// JSON Schemas of the SLO and incident routes (request validation, response serialisation, OpenAPI).

const nullableString = { type: ['string', 'null'] } as const;
const nullableText = { type: ['string', 'null'], minLength: 1, maxLength: 256 } as const;
const threshold = { type: 'number', exclusiveMinimum: 0, maximum: MAX_BURN_THRESHOLD } as const;

const burnRatesSchema = {
  type: 'object',
  properties: Object.fromEntries(BURN_WINDOWS.map((window) => [window, { type: 'number' }])),
} as const;

const alertPolicySchema = {
  type: 'object',
  properties: { fastBurnThreshold: { type: 'number' }, slowBurnThreshold: { type: 'number' } },
} as const;

export const sloSchema = {
  type: 'object',
  properties: {
    sloId: { type: 'string' },
    tenantId: { type: 'string' },
    name: { type: 'string' },
    description: nullableString,
    jobType: nullableString,
    sourceId: nullableString,
    objective: { type: 'number' },
    windowSeconds: { type: 'integer' },
    alertPolicy: alertPolicySchema,
    pauseSourceOnIncident: { type: 'boolean' },
    createdAt: { type: 'string' },
    createdBy: { type: 'string' },
    updatedAt: { type: 'string' },
    updatedBy: { type: 'string' },
  },
} as const;

export const incidentSchema = {
  type: 'object',
  properties: {
    incidentId: { type: 'string' },
    tenantId: { type: 'string' },
    sloId: { type: 'string' },
    status: { type: 'string', enum: [...INCIDENT_STATUSES] },
    trigger: { type: 'string', enum: ['fast', 'slow', 'fast+slow'] },
    openedAt: { type: 'string' },
    resolvedAt: nullableString,
    burnRatesAtOpen: burnRatesSchema,
    burnRatesAtResolve: { anyOf: [burnRatesSchema, { type: 'null' }] },
    pausedSourceId: nullableString,
    sourcePaused: { type: 'boolean' },
  },
} as const;

const windowBurnSchema = {
  type: 'object',
  properties: {
    good: { type: 'integer' },
    bad: { type: 'integer' },
    total: { type: 'integer' },
    errorRatio: { type: 'number' },
    burnRate: { type: 'number' },
  },
} as const;

export const burnRateSchema = {
  type: 'object',
  properties: {
    sloId: { type: 'string' },
    name: { type: 'string' },
    objective: { type: 'number' },
    asOf: { type: 'string' },
    windows: {
      type: 'object',
      properties: Object.fromEntries(BURN_WINDOWS.map((window) => [window, windowBurnSchema])),
    },
    errorBudget: {
      type: 'object',
      properties: {
        windowSeconds: { type: 'integer' },
        good: { type: 'integer' },
        bad: { type: 'integer' },
        total: { type: 'integer' },
        errorRatio: { type: 'number' },
        allowedFailures: { type: 'number' },
        consumed: { type: 'number' },
        remaining: { type: 'number' },
      },
    },
    alertPolicy: alertPolicySchema,
    alerts: { type: 'object', properties: { fast: { type: 'boolean' }, slow: { type: 'boolean' } } },
    openIncident: { anyOf: [incidentSchema, { type: 'null' }] },
  },
} as const;

/** The fields a caller defines an SLO with; `name` and `objective` are required to create one. */
export const sloBodyProperties = {
  name: { type: 'string', minLength: 1, maxLength: 128 },
  description: { type: ['string', 'null'], maxLength: 2_000 },
  jobType: nullableText,
  sourceId: nullableText,
  objective: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
  windowSeconds: { type: 'integer', minimum: MIN_SLO_WINDOW_SECONDS, maximum: MAX_SLO_WINDOW_SECONDS },
  alertPolicy: {
    type: 'object',
    additionalProperties: false,
    minProperties: 1,
    properties: { fastBurnThreshold: threshold, slowBurnThreshold: threshold },
  },
  pauseSourceOnIncident: { type: 'boolean' },
} as const;

export const sloIdParams = {
  type: 'object',
  required: ['sloId'],
  properties: { sloId: { type: 'string', maxLength: 64 } },
} as const;

export const incidentIdParams = {
  type: 'object',
  required: ['incidentId'],
  properties: { incidentId: { type: 'string', maxLength: 64 } },
} as const;
