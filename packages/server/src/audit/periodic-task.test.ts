import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { PeriodicTask } from './periodic-task.js';

describe('PeriodicTask', () => {
  it('runs on every tick, never two runs at once, and stop waits for the run in progress', async () => {
    let running = 0;
    let overlapped = false;
    let runs = 0;
    let finished = 0;
    const task = new PeriodicTask(async () => {
      overlapped ||= running > 0;
      running++;
      runs++;
      await sleep(15);
      running--;
      finished++;
    }, 2);
    task.start();
    task.start();
    await sleep(60);
    await task.stop();
    expect(runs).toBeGreaterThan(1);
    expect(overlapped).toBe(false);
    expect(finished).toBe(runs);
    await sleep(20);
    expect(runs).toBe(finished);
  });
});
