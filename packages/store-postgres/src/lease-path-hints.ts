/** How long a tenant's lease path is remembered. */
const HINT_TTL_MS = 10_000;
/** More tenants than this and the hints start over (a memory bound, not a correctness one). */
const MAX_HINTS = 10_000;

/**
 * The lease statement a tenant needs: `plain` (no limit, at most one source), `fair` (no limit, several
 * sources taking turns) or `limited` (the locked grant).
 */
export type LeasePath = 'plain' | 'fair' | 'limited';

/**
 * Which lease path each tenant needed at its last lease call, so that its next call starts there instead of
 * first running a statement that would only answer "not me". A hint changes the path, never the answer:
 * every path checks what it needs (the plain statement leases nothing for a tenant with several sources or
 * a limit, the fair one nothing for a tenant with a limit, and the locked grant with no limit leases what
 * the fair statement would), so a stale hint costs one statement.
 */
export class LeasePathHints {
  readonly #paths = new Map<string, { readonly path: LeasePath; readonly until: number }>();

  /** The path `tenantId` needed within the last few seconds; `plain` when unknown. */
  path(tenantId: string, nowMs = Date.now()): LeasePath {
    const hint = this.#paths.get(tenantId);
    if (hint === undefined) return 'plain';
    if (hint.until > nowMs) return hint.path;
    this.#paths.delete(tenantId);
    return 'plain';
  }

  /** Records the path a lease call of `tenantId` needed. */
  remember(tenantId: string, path: LeasePath, nowMs = Date.now()): void {
    if (path === 'plain') {
      this.#paths.delete(tenantId);
      return;
    }
    if (this.#paths.size >= MAX_HINTS) this.#paths.clear();
    this.#paths.set(tenantId, { path, until: nowMs + HINT_TTL_MS });
  }
}
