import { ANY_TENANT, type JobStore } from '@stella-orch/core';

/** A registration for the next wake-up of one tenant, taken before looking for work so none is missed. */
export interface WakeTicket {
  /** Resolves on a wake-up (possibly one that came before this call), after `timeoutMs`, or on abort. */
  wait(timeoutMs: number, signal: AbortSignal): Promise<void>;
  /** Withdraws the registration. */
  cancel(): void;
}

/**
 * Wakes long-polling lease requests when work may have arrived for their tenant (submitted, retried,
 * released — in this process or, through the ledger's notifications, in another one). A pool worker's
 * request waits under tenant `*` and wakes when work arrives for any tenant.
 */
export class LeaseWaiter {
  readonly #tickets = new Map<string, Set<() => void>>();
  readonly #unsubscribe: () => void;
  #closed = false;

  /** @param store - the ledger whose ready notifications wake waiters */
  constructor(store: JobStore) {
    this.#unsubscribe = store.onJobsReady((tenantId) => {
      this.wake(tenantId);
    });
  }

  /** Wakes every ticket of `tenantId`, and the pool's (`*`), which wait for any tenant. */
  wake(tenantId: string): void {
    for (const key of tenantId === ANY_TENANT ? [tenantId] : [tenantId, ANY_TENANT]) {
      const set = this.#tickets.get(key);
      if (set === undefined) continue;
      this.#tickets.delete(key);
      for (const fire of set) fire();
    }
  }

  /** Registers for the next wake-up of `tenantId`. */
  ticket(tenantId: string): WakeTicket {
    let fired = this.#closed;
    let listener: (() => void) | undefined;
    const fire = (): void => {
      fired = true;
      listener?.();
    };
    let set = this.#tickets.get(tenantId);
    if (set === undefined) {
      set = new Set();
      this.#tickets.set(tenantId, set);
    }
    set.add(fire);
    const cancel = (): void => {
      const current = this.#tickets.get(tenantId);
      current?.delete(fire);
      if (current?.size === 0) this.#tickets.delete(tenantId);
    };
    return {
      cancel,
      wait: async (timeoutMs, signal) => {
        if (fired || signal.aborted || timeoutMs <= 0) {
          cancel();
          return;
        }
        await new Promise<void>((resolve) => {
          const done = (): void => {
            clearTimeout(timer);
            signal.removeEventListener('abort', done);
            listener = undefined;
            cancel();
            resolve();
          };
          const timer = setTimeout(done, timeoutMs);
          signal.addEventListener('abort', done, { once: true });
          listener = done;
        });
      },
    };
  }

  /** Whether {@link close} was called: waiting lease calls should answer now. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Number of tickets registered now. */
  get waiting(): number {
    let n = 0;
    for (const set of this.#tickets.values()) n += set.size;
    return n;
  }

  /** Stops listening and releases every waiter. */
  close(): void {
    this.#closed = true;
    this.#unsubscribe();
    for (const tenantId of [...this.#tickets.keys()]) this.wake(tenantId);
  }
}
