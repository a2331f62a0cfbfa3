import type { Admission, JobLane, QueueKey, RuleState } from './admission.js';
import type { JsonValue } from './canonical-json.js';
import type { JobCondition, JobConditionCode } from './job-holds.js';
import { ruleApplies, type LimitRule } from './limit-rules.js';
import { instantInWords } from './time-words.js';
import { msUntilNextToken } from './token-bucket.js';

// The limits' part of `GET /jobs/{id}/why`: the conditions of the limits that hold a queue, in words and
// stable codes, from the same evaluation (`admit`) the lease grant decides with.

function scopeInWords(rule: LimitRule): string {
  const { sourceId, jobType } = rule.scope;
  if (sourceId !== null && jobType !== null) return `source ${sourceId}, job type ${jobType}`;
  if (sourceId !== null) return `source ${sourceId}`;
  if (jobType !== null) return `job type ${jobType}`;
  return 'the whole tenant';
}

function limitName(rule: LimitRule): string {
  switch (rule.origin.kind) {
    case 'quota':
      return `quota ${rule.origin.quotaId} (${scopeInWords(rule)})`;
    case 'source':
      return `source ${rule.origin.sourceId}`;
    case 'throttle':
      return `throttle ${rule.origin.throttleId} (${scopeInWords(rule)})`;
    case 'circuit':
      return `circuit breaker ${rule.origin.breakerId} (${scopeInWords(rule)})`;
  }
}

function originDetails(rule: LimitRule): Record<string, JsonValue> {
  const o = rule.origin;
  switch (o.kind) {
    case 'quota':
      return { limit: 'quota', quotaId: o.quotaId, jobType: o.jobType };
    case 'source':
      return { limit: 'source', sourceId: o.sourceId };
    case 'throttle':
      return {
        limit: 'throttle',
        throttleId: o.throttleId,
        sourceId: rule.scope.sourceId,
        jobType: rule.scope.jobType,
        expiresAt: o.expiresAt,
        reason: o.reason,
        ticket: o.ticket,
        createdBy: o.createdBy,
      };
    case 'circuit':
      return {
        limit: 'circuit',
        breakerId: o.breakerId,
        sourceId: rule.scope.sourceId,
        jobType: rule.scope.jobType,
        state: o.state,
        openUntil: o.openUntil,
        probeLeases: o.probeLeases,
      };
  }
}

const CODES: Record<
  LimitRule['origin']['kind'],
  {
    readonly pause: JobConditionCode;
    readonly rate: JobConditionCode;
    readonly concurrency: JobConditionCode;
  }
> = {
  quota: { pause: 'QUOTA_PAUSED', rate: 'QUOTA_RATE_LIMIT', concurrency: 'QUOTA_ACTIVE_LIMIT' },
  source: { pause: 'SOURCE_PAUSED', rate: 'SOURCE_RATE_LIMIT', concurrency: 'SOURCE_CONCURRENCY_LIMIT' },
  throttle: { pause: 'THROTTLED', rate: 'THROTTLED', concurrency: 'THROTTLED' },
  circuit: { pause: 'CIRCUIT_OPEN', rate: 'CIRCUIT_OPEN', concurrency: 'CIRCUIT_HALF_OPEN' },
};

function throttleSuffix(rule: LimitRule, nowMs: number): string {
  const o = rule.origin;
  if (o.kind !== 'throttle') return '';
  return ` until ${instantInWords(o.expiresAt, new Date(nowMs).toISOString())}, set by ${o.createdBy}: ${o.reason} (ticket ${o.ticket})`;
}

/** The conditions of one limit that holds `queue`, in the order pause, concurrency, rate. */
function holdsOf(state: RuleState, nowMs: number): JobCondition[] {
  const { rule } = state;
  const codes = CODES[rule.origin.kind];
  const now = new Date(nowMs).toISOString();
  const details = originDetails(rule);
  const expiresAt = rule.origin.kind === 'throttle' ? rule.origin.expiresAt : undefined;
  const conditions: JobCondition[] = [];
  if (rule.origin.kind === 'circuit') return circuitHolds(state, rule.origin, details, now);
  if (rule.pause !== null) {
    const p = rule.pause;
    const who =
      rule.origin.kind === 'throttle'
        ? ''
        : ` by ${p.by ?? 'unknown'}${p.at === null ? '' : ` at ${instantInWords(p.at, now)}`}: ${p.reason ?? 'no reason given'}${p.ticket === null ? '' : ` (ticket ${p.ticket})`}`;
    conditions.push({
      code: codes.pause,
      message: `${limitName(rule)} is paused${who}${throttleSuffix(rule, nowMs)}`,
      ...(expiresAt === undefined ? {} : { until: expiresAt }),
      details: {
        ...details,
        effect: 'pause',
        pausedBy: p.by,
        pausedAt: p.at,
        reason: p.reason,
        ticket: p.ticket,
      },
    });
  }
  if (state.inFlight !== null && rule.maxConcurrent !== null && state.inFlight >= rule.maxConcurrent) {
    const what = rule.origin.kind === 'quota' ? 'active' : 'leased or running';
    conditions.push({
      code: codes.concurrency,
      message: `${limitName(rule)}: ${state.inFlight}/${rule.maxConcurrent} jobs ${what}; a job may start when one ends${throttleSuffix(rule, nowMs)}`,
      ...(expiresAt === undefined ? {} : { until: expiresAt }),
      details: {
        ...details,
        effect: 'concurrency',
        inFlight: state.inFlight,
        maxConcurrent: rule.maxConcurrent,
      },
    });
  }
  if (state.tokens !== null && rule.bucket !== null && state.tokens < 1) {
    const waitMs = msUntilNextToken(rule.bucket, state.tokens);
    const until = new Date(nowMs + waitMs).toISOString();
    const perHour =
      rule.origin.kind === 'quota'
        ? ` (${Math.round(rule.bucket.refillPerSecond * 3600)}/h, burst ${rule.bucket.capacity})`
        : ` (${rule.bucket.refillPerSecond}/s, burst ${rule.bucket.capacity})`;
    conditions.push({
      code: codes.rate,
      message: `${limitName(rule)} rate limit${perHour}: next token in ${waitMs} ms${throttleSuffix(rule, nowMs)}`,
      until,
      details: {
        ...details,
        effect: 'rate',
        tokens: Math.round(state.tokens * 1000) / 1000,
        capacity: rule.bucket.capacity,
        refillPerSecond: rule.bucket.refillPerSecond,
        nextTokenInMs: waitMs,
      },
    });
  }
  return conditions;
}

/** The conditions of a breaker that is not closed: open until a time, or half-open with its probes busy. */
function circuitHolds(
  state: RuleState,
  origin: Extract<LimitRule['origin'], { kind: 'circuit' }>,
  details: Record<string, JsonValue>,
  now: string,
): JobCondition[] {
  const name = limitName(state.rule);
  if (origin.state === 'open') {
    const until = origin.openUntil ?? now;
    return [
      {
        code: 'CIRCUIT_OPEN',
        message: `${name} is open until ${instantInWords(until, now)}: too many attempts in its scope failed`,
        until,
        details: { ...details, effect: 'pause', openedAt: state.rule.pause?.at ?? null },
      },
    ];
  }
  return [
    {
      code: 'CIRCUIT_HALF_OPEN',
      message: `${name} is half-open: ${state.inFlight ?? 0}/${origin.probeLeases} probe job(s) running; the others wait for their outcome`,
      details: {
        ...details,
        effect: 'concurrency',
        inFlight: state.inFlight,
        maxConcurrent: origin.probeLeases,
      },
    },
  ];
}

/**
 * The limits holding `queue` now, in words and codes: for each limit that allows no job of it, whether it
 * is paused, at its concurrency cap or out of tokens (and when the next token comes). Empty when every
 * applicable limit allows at least one job.
 */
export function queueHolds(admission: Admission, queue: QueueKey, lane: JobLane = 'live'): JobCondition[] {
  const applying = admission.states.filter((s) => ruleApplies(s.rule.scope, queue));
  const held = applying.filter((s) => s.remaining < 1).flatMap((s) => holdsOf(s, admission.nowMs));
  if (lane === 'live') return held;
  return [...held, ...applying.filter((s) => s.remaining >= 1 && s.backfillRemaining < 1).map(laneHold)];
}

/** A backfill job held by the lane's part of a limit that live jobs could still use. */
function laneHold(state: RuleState): JobCondition {
  const { rule, lane } = state;
  const byTokens = state.tokens !== null && Math.floor(state.tokens - lane.reserve) < 1;
  const message = byTokens
    ? `${limitName(rule)}: the backfill lane may not draw the bucket below the ${lane.reserve} token(s) kept for live traffic`
    : `${limitName(rule)}: the backfill lane holds its share of the concurrency cap (${state.backfillInFlight ?? 0} backfill job(s) in flight)`;
  return {
    code: 'BACKFILL_LANE_LIMIT',
    message,
    details: {
      ...originDetails(rule),
      effect: byTokens ? 'rate' : 'concurrency',
      reservedTokens: lane.reserve,
      tokens: state.tokens === null ? null : Math.round(state.tokens * 1000) / 1000,
      backfillInFlight: state.backfillInFlight,
      maxConcurrent: rule.maxConcurrent,
    },
  };
}
