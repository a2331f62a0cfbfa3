import type { JobWhy } from '@stella-orch/client';

/**
 * The answer of `jobs why` as plain lines: the job and whether it can run now, then one line per condition,
 * code first, in the server's order.
 */
export function renderWhy(why: JobWhy): string {
  const head = `Job ${why.jobId} is ${why.status}${why.runnable ? ' and runnable now' : ''}.`;
  const lines = why.conditions.map((c) => `  ${c.code}: ${c.message}`);
  return [head, ...lines].join('\n');
}
