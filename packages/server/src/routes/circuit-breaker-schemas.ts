// JSON Schemas of the circuit-breaker routes (request validation, response serialisation, OpenAPI). Bodies
// check types only: the ranges are core's (circuit-breaker-validation.ts), so a refusal names the rule the
// same way whichever door the request came through.

const nullableString = { type: ['string', 'null'] } as const;
const timestamp = { type: 'string', format: 'date-time' } as const;
const nullableTimestamp = { type: ['string', 'null'], format: 'date-time' } as const;

const settingFields = {
  failureRatio: {
    type: 'number',
    description:
      'The share of failed attempts in the window that opens the breaker: greater than 0, at most 1 (default 0.5).',
  },
  minVolume: {
    type: 'integer',
    description:
      'The fewest attempts ended in the window for the ratio to count: 1 to 1,000,000 (default 20).',
  },
  windowSeconds: {
    type: 'integer',
    description:
      'The sliding window of ended attempts, counted in 10-second buckets: 10 to 86,400 (default 60).',
  },
  coolDownSeconds: {
    type: 'integer',
    description: 'How long it stays open before it lets probes through: 1 to 86,400 (default 30).',
  },
  probeLeases: {
    type: 'integer',
    description:
      'Half-open: how many jobs may run at once as probes, and how many must succeed to close it: 1 to 1,000 (default 1).',
  },
} as const;

export const circuitBreakerCreateBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    sourceId: { ...nullableString, description: 'A registered source of the tenant; or give jobType.' },
    jobType: { ...nullableString, description: 'A job type (the rule of submissions); or give sourceId.' },
    ...settingFields,
  },
} as const;

export const circuitBreakerUpdateBody = {
  type: 'object',
  additionalProperties: false,
  properties: { ...settingFields, version: { type: 'integer', minimum: 1 } },
} as const;

const countsSchema = (description: string) =>
  ({
    type: 'object',
    description,
    required: ['successes', 'failures'],
    properties: { successes: { type: 'integer' }, failures: { type: 'integer' } },
  }) as const;

export const circuitBreakerSchema = {
  type: 'object',
  required: [
    'breakerId',
    'tenantId',
    'sourceId',
    'jobType',
    'failureRatio',
    'minVolume',
    'windowSeconds',
    'coolDownSeconds',
    'probeLeases',
    'state',
    'stateChangedAt',
    'openUntil',
    'openedWith',
    'window',
    'probes',
    'version',
    'createdAt',
  ],
  properties: {
    breakerId: { type: 'string' },
    tenantId: { type: 'string' },
    sourceId: nullableString,
    jobType: nullableString,
    failureRatio: { type: 'number' },
    minVolume: { type: 'integer' },
    windowSeconds: { type: 'integer' },
    coolDownSeconds: { type: 'integer' },
    probeLeases: { type: 'integer' },
    state: {
      type: 'string',
      enum: ['closed', 'open', 'half_open'],
      description:
        'closed: everything goes through; open: nothing of the scope is leased until openUntil; half_open: at most probeLeases jobs at once, closed again once that many succeeded, opened again by one failure.',
    },
    stateChangedAt: timestamp,
    openUntil: { ...nullableTimestamp, description: 'Open: when it becomes half-open.' },
    openedWith: {
      type: ['object', 'null'],
      description: 'The attempts of the window when it last opened.',
      properties: { attempts: { type: 'integer' }, failures: { type: 'integer' } },
    },
    window: countsSchema(
      'The attempts of the scope that ended in the window now (outcome buckets started at most windowSeconds ago, by the database clock).',
    ),
    probes: countsSchema('Half-open: the outcomes of its probes so far; zero in the other states.'),
    version: {
      type: 'integer',
      minimum: 1,
      description: 'Grows with every change of the settings (the ETag); state changes leave it.',
    },
    createdAt: timestamp,
    createdBy: { type: 'string' },
    updatedAt: timestamp,
    updatedBy: { type: 'string' },
  },
} as const;
