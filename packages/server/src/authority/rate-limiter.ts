/** A token bucket's settings: a steady rate and the burst it allows. */
export interface RateLimit {
  readonly requestsPerSecond: number;
  readonly burst: number;
}

/** The answer of {@link RateLimiter.take}. */
export interface RateDecision {
  readonly allowed: boolean;
  /** Requests left in the bucket after this one. */
  readonly remaining: number;
  /** Seconds until a request would be allowed again (0 when allowed). */
  readonly retryAfterSeconds: number;
  /** Seconds until the bucket is full again. */
  readonly resetSeconds: number;
}

/**
 * Token buckets keyed by caller (an API client id, or an address for the token endpoint), in this
 * process: with several replicas each enforces its own share. Idle buckets are forgotten.
 */
export class RateLimiter {
  readonly #limit: RateLimit;
  readonly #now: () => number;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(limit: RateLimit, now: () => number = Date.now) {
    this.#limit = limit;
    this.#now = now;
  }

  /** Takes one request from `key`'s bucket. */
  take(key: string): RateDecision {
    const now = this.#now();
    const { requestsPerSecond: rate, burst } = this.#limit;
    const bucket = this.#buckets.get(key) ?? { tokens: burst, at: now };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * rate);
    bucket.at = now;
    if (this.#buckets.size > 10_000) this.#forgetFull(now);
    this.#buckets.set(key, bucket);
    const allowed = bucket.tokens >= 1;
    if (allowed) bucket.tokens -= 1;
    return {
      allowed,
      remaining: Math.floor(bucket.tokens),
      retryAfterSeconds: allowed ? 0 : Math.ceil((1 - bucket.tokens) / rate),
      resetSeconds: Math.ceil((burst - bucket.tokens) / rate),
    };
  }

  #forgetFull(now: number): void {
    const { requestsPerSecond: rate, burst } = this.#limit;
    for (const [key, bucket] of this.#buckets) {
      if (bucket.tokens + ((now - bucket.at) / 1000) * rate >= burst) this.#buckets.delete(key);
    }
  }
}
