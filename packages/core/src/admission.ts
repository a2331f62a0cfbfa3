import { ruleApplies, type LimitRule } from './limit-rules.js';
import { tokensAt, type BucketLevel } from './token-bucket.js';

/**
 * The backfill lane's share of each limit unless configured (`backfill.laneShare`): backfill jobs hold at
 * most a quarter of a concurrency cap and leave three quarters of a bucket to live traffic.
 */
export const DEFAULT_BACKFILL_LANE_SHARE = 0.25;

/**
 * Priority aging: a job gains one priority level for every this many seconds it has been eligible. The
 * ledger orders ready jobs by `ready_rank` = eligible time (epoch seconds) − priority × this (migration
 * 000011, a generated column: the constant lives there too).
 */
export const PRIORITY_AGING_SECONDS = 60;

/**
 * A job's priority aged to `nowMs`, in whole levels, from its `ready_rank`: its priority plus one level per
 * {@link PRIORITY_AGING_SECONDS} it has been eligible.
 */
export function agedPriority(readyRank: number, nowMs: number): number {
  return Math.floor((nowMs / 1000 - readyRank) / PRIORITY_AGING_SECONDS);
}

/** A queue: the ready jobs of one job type and one source (or none) of a tenant. */
export interface QueueKey {
  readonly jobType: string;
  readonly sourceId: string | null;
}

/** The lane of a job: live traffic, or a backfill's (docs/decisions/0017-backfills-and-watermarks.md). */
export type JobLane = 'live' | 'backfill';

/** How many jobs of a queue and lane are leased or running. */
export interface InFlightCount extends QueueKey {
  readonly lane: JobLane;
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
  /** How many of them may be backfill jobs: the backfill lane's part of the limit (at most `remaining`). */
  readonly backfillRemaining: number;
  /** Backfill jobs leased or running in the rule's scope; `null` without a concurrency cap. */
  readonly backfillInFlight: number | null;
  readonly lane: LanePart;
}

/** Every limit of a tenant evaluated at one instant of the database clock. */
export interface Admission {
  readonly nowMs: number;
  readonly states: readonly RuleState[];
}

/** Jobs leased or running within a scope (of one lane, or of both). */
function inFlightIn(rule: LimitRule, inFlight: readonly InFlightCount[], lane?: JobLane): number {
  let total = 0;
  for (const q of inFlight)
    if (ruleApplies(rule.scope, q) && (lane === undefined || q.lane === lane)) total += q.count;
  return total;
}

/**
 * The backfill lane's part of a limit (decision 0016 §4): backfill jobs may hold at most
 * `max(1, floor(share × maxConcurrent))` of a concurrency cap, and may draw a bucket only down to a reserve
 * of `floor((1 − share) × capacity)` tokens, which is left to live traffic. A backfill thus runs at the full
 * rate when live traffic is idle, and yields the bucket to it when it is not.
 */
interface LanePart {
  /** Tokens a backfill grant must leave in the bucket (0 without a bucket). */
  readonly reserve: number;
  /** Backfill jobs the lane may still add under the concurrency cap (`Infinity` without one). */
  readonly slots: number;
}

function lanePart(rule: LimitRule, backfillInFlight: number | null, share: number): LanePart {
  const reserve = rule.bucket === null ? 0 : Math.floor((1 - share) * rule.bucket.capacity);
  const slots =
    backfillInFlight === null || rule.maxConcurrent === null
      ? Infinity
      : Math.max(1, Math.floor(share * rule.maxConcurrent)) - backfillInFlight;
  return { reserve, slots };
}

/** How many backfill jobs a limit allows with `remaining` jobs and `tokens` left. */
function backfillAllowed(remaining: number, tokens: number | null, part: LanePart): number {
  const byTokens = tokens === null ? Infinity : Math.floor(tokens - part.reserve);
  return Math.max(0, Math.min(remaining, byTokens, part.slots));
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
  /** The backfill lane's share of each limit, in (0, 1]; 1 gives backfill jobs as much as live ones. */
  readonly backfillShare: number;
}): Admission {
  const states = params.rules.map((rule): RuleState => {
    const tokens =
      rule.bucket === null ? null : tokensAt(rule.bucket, params.levels.get(rule.key), params.nowMs);
    const capped = rule.maxConcurrent !== null;
    const inFlight = capped ? inFlightIn(rule, params.inFlight) : null;
    const backfillInFlight = capped ? inFlightIn(rule, params.inFlight, 'backfill') : null;
    let remaining = Infinity;
    if (rule.pause !== null) remaining = 0;
    if (tokens !== null) remaining = Math.min(remaining, Math.floor(tokens));
    if (inFlight !== null && rule.maxConcurrent !== null) {
      remaining = Math.min(remaining, Math.max(0, rule.maxConcurrent - inFlight));
    }
    const lane = lanePart(rule, backfillInFlight, params.backfillShare);
    const backfillRemaining = backfillAllowed(remaining, tokens, lane);
    return { rule, tokens, inFlight, remaining, backfillRemaining, backfillInFlight, lane };
  });
  return { nowMs: params.nowMs, states };
}

/** A ready job a lease call may take, as the queue scan found it (locked). */
export interface LeaseCandidate extends QueueKey {
  readonly jobId: string;
  readonly lane: JobLane;
  /** The job's priority aged to the grant's clock ({@link agedPriority}). */
  readonly priority: number;
  /** Submission order: FIFO within a priority. */
  readonly seq: number;
}

/** How a limit held back ready work at a grant. */
export type LimitHoldEffect = 'pause' | 'concurrency' | 'rate' | 'backfill_lane';

/** A limit that held back ready work at one lease grant (what the `stella_orch_limit_holds_total` counts). */
export interface LimitHold {
  readonly limit: LimitRule['origin']['kind'];
  readonly effect: LimitHoldEffect;
}

/** The jobs a lease call takes, in lease order, and how many each limit granted. */
export interface AdmittedLeases {
  readonly picked: readonly LeaseCandidate[];
  /** Jobs granted per limit key. */
  readonly granted: ReadonlyMap<string, number>;
  /** The limits that held back a candidate, by limit key. */
  readonly held: ReadonlyMap<string, LimitHold>;
}

/** How a limit with `jobsLeft` jobs and `tokensLeft` tokens holds a job of `lane`. */
function holdEffect(
  state: RuleState,
  left: { readonly jobs: number; readonly tokens: number | null },
  lane: JobLane,
): LimitHoldEffect {
  if (state.rule.pause !== null) return 'pause';
  if (left.jobs < 1) return left.tokens !== null && left.tokens < 1 ? 'rate' : 'concurrency';
  return lane === 'backfill' ? 'backfill_lane' : 'concurrency';
}

/**
 * The limits that leave `queues` (ready work the scan did not take: their budget was 0) without a job, by
 * limit key: one hold per limit, however many queues it holds.
 */
export function queueBudgetHolds(admission: Admission, queues: readonly QueueKey[]): Map<string, LimitHold> {
  const held = new Map<string, LimitHold>();
  for (const queue of queues) {
    for (const s of admission.states) {
      if (s.remaining >= 1 || !ruleApplies(s.rule.scope, queue)) continue;
      held.set(s.rule.key, {
        limit: s.rule.origin.kind,
        effect: holdEffect(s, { jobs: 0, tokens: s.tokens }, 'live'),
      });
    }
  }
  return held;
}

/**
 * Chooses up to `limit` candidates that every applicable limit allows together. Order: highest (aged)
 * priority first; within a priority the queues take turns (the first job of each queue, then the second…), so one
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
    const queue = `${c.jobType}\u0000${c.sourceId ?? ''}\u0000${c.lane}`;
    const rank = (rankInQueue.get(queue) ?? 0) + 1;
    rankInQueue.set(queue, rank);
    return { c, rank };
  });
  ranked.sort((a, b) => b.c.priority - a.c.priority || a.rank - b.rank || a.c.seq - b.c.seq);
  // What each limit has left as the batch fills: jobs, tokens, and backfill slots.
  const left = new Map(
    admission.states.map((s) => [s.rule.key, { jobs: s.remaining, tokens: s.tokens, slots: s.lane.slots }]),
  );
  const granted = new Map<string, number>();
  const held = new Map<string, LimitHold>();
  const picked: LeaseCandidate[] = [];
  for (const { c } of ranked) {
    if (picked.length >= limit) break;
    const applying = admission.states.filter((s) => ruleApplies(s.rule.scope, c));
    const backfill = c.lane === 'backfill';
    const allows = (s: RuleState): boolean => {
      const l = left.get(s.rule.key);
      if (l === undefined || l.jobs < 1) return false;
      return !backfill || backfillAllowed(l.jobs, l.tokens, { reserve: s.lane.reserve, slots: l.slots }) >= 1;
    };
    const blocker = applying.find((s) => !allows(s));
    if (blocker !== undefined) {
      const l = left.get(blocker.rule.key) ?? { jobs: 0, tokens: null };
      held.set(blocker.rule.key, { limit: blocker.rule.origin.kind, effect: holdEffect(blocker, l, c.lane) });
      continue;
    }
    for (const { rule } of applying) {
      const l = left.get(rule.key);
      if (l === undefined) continue;
      l.jobs -= 1;
      if (l.tokens !== null) l.tokens -= 1;
      if (backfill) l.slots -= 1;
      granted.set(rule.key, (granted.get(rule.key) ?? 0) + 1);
    }
    picked.push(c);
  }
  return { picked, granted, held };
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
