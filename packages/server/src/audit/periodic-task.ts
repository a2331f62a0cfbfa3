/**
 * Runs `run` every `intervalMs` on an unref'd timer (it never keeps the process alive), never two runs at
 * once: a tick that finds the previous run still going is skipped. `run` must not throw (log instead).
 */
export class PeriodicTask {
  readonly #run: () => Promise<unknown>;
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;

  /** @param run - one run; @param intervalMs - between the starts of two runs */
  constructor(run: () => Promise<unknown>, intervalMs: number) {
    this.#run = run;
    this.#intervalMs = intervalMs;
  }

  /** Starts the timer (again a no-op when started). */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      if (this.#running === undefined) {
        this.#running = this.#run().finally(() => {
          this.#running = undefined;
        });
      }
    }, this.#intervalMs);
    this.#timer.unref();
  }

  /** Stops the timer and waits for a run in progress. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }
}
