/** Capped exponential back-off: the retry settings of the client and of the worker loop. */
export interface BackoffPolicy {
  /** Delay before the first retry, before jitter. */
  readonly initialDelayMs: number;
  /** Upper bound of any delay. */
  readonly maxDelayMs: number;
}

/**
 * The delay before retry number `retry` (1-based): `initialDelayMs · 2^(retry-1)`, capped at
 * `maxDelayMs`, with "equal jitter" (between half and all of it) so that many clients do not retry in step.
 *
 * @param policy - the back-off settings
 * @param retry - 1 for the first retry
 * @param random - a number in [0, 1)
 */
export function backoffDelayMs(policy: BackoffPolicy, retry: number, random: number = Math.random()): number {
  const exponent = Math.min(Math.max(0, retry - 1), 30);
  const capped = Math.min(policy.initialDelayMs * 2 ** exponent, policy.maxDelayMs);
  return Math.max(0, Math.round(capped / 2 + (capped / 2) * random));
}

/**
 * Waits `ms` milliseconds, or until `signal` aborts.
 *
 * @throws the signal's reason when it aborts first
 */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      // The caller's own abort reason is passed on as given, as fetch does.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      reject(abortReason(signal));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      reject(abortReason(signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Waits like {@link delay}, but resolves quietly when `signal` aborts. */
export async function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await delay(ms, signal);
  } catch {
    // Aborted: the caller checks its own state next.
  }
}

function abortReason(signal: AbortSignal | undefined): unknown {
  return signal?.reason ?? new DOMException('The operation was aborted', 'AbortError');
}

/**
 * Parses an HTTP `Retry-After` value (delay-seconds or an HTTP date) into milliseconds from `nowMs`.
 * Returns `undefined` when absent or unreadable.
 */
export function parseRetryAfterMs(value: string | null, nowMs: number = Date.now()): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}
