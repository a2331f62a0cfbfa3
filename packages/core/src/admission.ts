import type { JsonValue } from './canonical-json.js';
import type { JobCondition, JobConditionCode } from './job-holds.js';
import { ruleApplies, type LimitRule } from './limit-rules.js';
import { instantInWords } from './time-words.js';
import { msUntilNextToken, tokensAt, type BucketLevel } from './token-bucket.js';

/** A queue: the ready jobs of one job type and one source (or none) of a tenant. */
export interface QueueKey {
  readonly jobType: string;
  readonly sourceId: string | null;
}

/** How many jobs of a queue are leased or running. */
export interface InFlightCount extends QueueKey {
  readonly count: number;
}

/** What a limit allows at the moment admission looked. */
export interface RuleState {
  readonly rule: LimitRule;
  /** The bucket's tokens now; `null` without a bucket. */
  readonly tokens: number | null;
  /** The jobs leased or running in the rule's scope; `null` without a concurrency cap. */
  readonly inFlight: number | null;
  /** How many more jobs the rule lets be leased now (`Infinity`: it does not bound the count). */
  readonly remaining: number;
}

/** Every limit of a tenant evaluated at one instant of the database clock. */
export interface Admission {
  readonly nowMs: number;
  readonly states: readonly RuleState[];
}

/** Jobs leased or running within a scope. */
function inFlightIn(rule: LimitRule, inFlight: readonly InFlightCount[]): number {
  let total = 0;
  for (const q of inFlight) if (ruleApplies(rule.scope, q)) total += q.count;
  return total;
}

/**
 * Evaluates every limit at `nowMs`: the tokens of each bucket (refilled since its stored level), the jobs
 * in flight under each concurrency cap, and from both how many more jobs each limit allows. Pure: the
 * lease grant calls it with the levels it locked, `GET /jobs/{id}/why` with the levels it read, so the
 * explanation and the scheduler cannot disagree.
 */
export function admit(params: {
  readonly rules: readonly LimitRule[];
  readonly levels: ReadonlyMap<string, BucketLevel>;
  readonly inFlight: readonly InFlightCount[];
  readonly nowMs: number;
}): Admission {
  const states = params.rules.map((rule): RuleState => {
    const tokens =
      rule.bucket === null ? null : tokensAt(rule.bucket, params.levels.get(rule.key), params.nowMs);
    const inFlight = rule.maxConcurrent === null ? null : inFlightIn(rule, params.inFlight);
    let remaining = Infinity;
    if (rule.pause !== null) remaining = 0;
    if (tokens !== null) remaining = Math.min(remaining, Math.floor(tokens));
    if (inFlight !== null && rule.maxConcurrent !== null) {
      remaining = Math.min(remaining, Math.max(0, rule.maxConcurrent - inFlight));
    }
    return { rule, tokens, inFlight, remaining };
  });
  return { nowMs: params.nowMs, states };
}

/** The most jobs of `queue` the limits let one lease call take, at most `cap`. */
export function queueBudget(admission: Admission, queue: QueueKey, cap: number): number {
  let budget = cap;
  for (const s of admission.states)
    if (ruleApplies(s.rule.scope, queue)) budget = Math.min(budget, s.remaining);
  return Math.max(0, budget);
}

/** A ready job a lease call may take, as the queue scan found it (locked). */
export interface LeaseCandidate extends QueueKey {
  readonly jobId: string;
  readonly priority: number;
  /** Submission order: FIFO within a priority. */
  readonly seq: number;
}

/** The jobs a lease call takes, in lease order, and how many each limit granted. */
export interface AdmittedLeases {
  readonly picked: readonly LeaseCandidate[];
  /** Jobs granted per limit key. */
  readonly granted: ReadonlyMap<string, number>;
}

/**
 * Chooses up to `limit` candidates that every applicable limit allows together. Order: highest priority
 * first; within a priority the queues take turns (the first job of each queue, then the second…), so one
 * source's backlog cannot fill a batch while another source of the tenant waits; FIFO within a queue.
 * A limit shared by several queues (a quota on a job type, a source serving several types) is debited by
 * each job it covers, so the batch never exceeds it.
 */
export function pickAdmitted(
  admission: Admission,
  candidates: readonly LeaseCandidate[],
  limit: number,
): AdmittedLeases {
  const rankInQueue = new Map<string, number>();
  const ranked = candidates.map((c) => {
    const queue = `${c.jobType}\u0000${c.sourceId ?? ''}`;
    const rank = (rankInQueue.get(queue) ?? 0) + 1;
    rankInQueue.set(queue, rank);
    return { c, rank };
  });
  ranked.sort((a, b) => b.c.priority - a.c.priority || a.rank - b.rank || a.c.seq - b.c.seq);
  const remaining = new Map(admission.states.map((s) => [s.rule.key, s.remaining]));
  const granted = new Map<string, number>();
  const picked: LeaseCandidate[] = [];
  for (const { c } of ranked) {
    if (picked.length >= limit) break;
    const applying = admission.states.filter((s) => ruleApplies(s.rule.scope, c));
    if (applying.some((s) => (remaining.get(s.rule.key) ?? 0) < 1)) continue;
    for (const s of applying) {
      remaining.set(s.rule.key, (remaining.get(s.rule.key) ?? 0) - 1);
      granted.set(s.rule.key, (granted.get(s.rule.key) ?? 0) + 1);
    }
    picked.push(c);
  }
  return { picked, granted };
}

/** The bucket levels to store after a grant: each bucket's tokens now, less what it granted. */
export function bucketLevelsAfter(
  admission: Admission,
  granted: ReadonlyMap<string, number>,
): { readonly key: string; readonly tokens: number }[] {
  return admission.states.flatMap((s) =>
    s.tokens === null
      ? []
      : [{ key: s.rule.key, tokens: Math.max(0, s.tokens - (granted.get(s.rule.key) ?? 0)) }],
  );
}

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

/**
 * The limits holding `queue` now, in words and codes: for each limit that allows no job of it, whether it
 * is paused, at its concurrency cap or out of tokens (and when the next token comes). Empty when every
 * applicable limit allows at least one job.
 */
export function queueHolds(admission: Admission, queue: QueueKey): JobCondition[] {
  return admission.states
    .filter((s) => s.remaining < 1 && ruleApplies(s.rule.scope, queue))
    .flatMap((s) => holdsOf(s, admission.nowMs));
}
