import { randomUUID } from 'node:crypto';
import type { Clock, Ids } from '@stella-orch/core';

/** The machine's clock. */
export const systemClock: Clock = { nowMs: () => Date.now() };

/** Random UUIDs (v4) and `Math.random` for jitter. */
export const systemIds: Ids = { uuid: () => randomUUID(), random: () => Math.random() };
