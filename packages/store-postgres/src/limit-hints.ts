/** How long a tenant is remembered as having limits. */
const HINT_TTL_MS = 10_000;
/** More tenants than this and the hints start over (a memory bound, not a correctness one). */
const MAX_HINTS = 10_000;

/**
 * Which tenants had limits at their last lease call, so that their next call goes straight to the locked
 * grant instead of first running the single statement that would only answer `limited`. A hint changes
 * the path, never the answer: the locked grant with no limit leases exactly what the single statement
 * would, and a stale "unlimited" hint costs one statement that answers `limited`.
 */
export class LimitHints {
  readonly #limitedUntil = new Map<string, number>();

  /** Whether `tenantId` had limits within the last few seconds. */
  limited(tenantId: string, nowMs = Date.now()): boolean {
    const until = this.#limitedUntil.get(tenantId);
    if (until === undefined) return false;
    if (until > nowMs) return true;
    this.#limitedUntil.delete(tenantId);
    return false;
  }

  /** Records what a lease call found. */
  remember(tenantId: string, limited: boolean, nowMs = Date.now()): void {
    if (!limited) {
      this.#limitedUntil.delete(tenantId);
      return;
    }
    if (this.#limitedUntil.size >= MAX_HINTS) this.#limitedUntil.clear();
    this.#limitedUntil.set(tenantId, nowMs + HINT_TTL_MS);
  }
}
