/** A token bucket: up to `capacity` tokens, refilled continuously at `refillPerSecond`. */
export interface TokenBucket {
  readonly capacity: number;
  readonly refillPerSecond: number;
}

/** A bucket's stored level: `tokens` at `refilledAtMs` (epoch milliseconds, the database clock). */
export interface BucketLevel {
  readonly tokens: number;
  readonly refilledAtMs: number;
}

/**
 * The bucket's tokens at `nowMs`: the stored level plus what refilled since, never above the capacity
 * (a lowered capacity caps a fuller stored level) and never below zero. A level written in the future
 * (clock skew between statements) counts as written now. Without a stored level, the bucket is full.
 */
export function tokensAt(bucket: TokenBucket, level: BucketLevel | undefined, nowMs: number): number {
  if (level === undefined) return bucket.capacity;
  const elapsedSeconds = Math.max(0, nowMs - level.refilledAtMs) / 1000;
  return Math.max(0, Math.min(bucket.capacity, level.tokens + elapsedSeconds * bucket.refillPerSecond));
}

/**
 * When the next whole token is available, as milliseconds after `nowMs`: 0 when one is there already.
 * Rounded up, so that a caller waking at that time finds the token.
 */
export function msUntilNextToken(bucket: TokenBucket, tokens: number): number {
  if (tokens >= 1) return 0;
  return Math.ceil(((1 - tokens) / bucket.refillPerSecond) * 1000);
}
