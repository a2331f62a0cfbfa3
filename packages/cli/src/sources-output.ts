import type { Source } from '@stella-orch/client';
import { formatTime, renderFields, renderTable } from './output.js';

function stateOf(source: Source): string {
  if (!source.enabled) return source.paused ? 'disabled, paused' : 'disabled';
  return source.paused ? 'paused' : 'active';
}

function rateLimitOf(source: Source): string {
  const limit = source.rateLimit;
  return limit === null ? 'unlimited' : `burst ${limit.burst}, ${limit.refillPerSecond}/s`;
}

function concurrencyOf(source: Source): string {
  return source.maxConcurrent === null ? 'unlimited' : `${source.maxConcurrent} at once`;
}

/** The source list: id, type, state, pause reason, rate limit, concurrency limit, version. */
export function renderSourceList(sources: readonly Source[]): string {
  if (sources.length === 0) return 'No sources.';
  return renderTable(
    ['SOURCE ID', 'TYPE', 'STATE', 'PAUSE REASON', 'RATE LIMIT', 'CONCURRENCY', 'VERSION'],
    sources.map((s) => [
      s.sourceId,
      s.sourceType,
      stateOf(s),
      s.pauseReason ?? '',
      rateLimitOf(s),
      concurrencyOf(s),
      String(s.version),
    ]),
  );
}

/** One source, field by field. */
export function renderSource(source: Source): string {
  return renderFields([
    ['Source ID', source.sourceId],
    ['Type', source.sourceType],
    ['Name', source.displayName ?? ''],
    ['Description', source.description ?? ''],
    ['State', stateOf(source)],
    ['Pause reason', source.pauseReason ?? ''],
    ['Pause ticket', source.pauseTicket ?? ''],
    ['Paused by', source.pausedBy ?? ''],
    ['Paused at', formatTime(source.pausedAt)],
    ['Rate limit', rateLimitOf(source)],
    ['Concurrency', concurrencyOf(source)],
    ['Version', String(source.version)],
    ['Created', `${formatTime(source.createdAt)} by ${source.createdBy}`],
    ['Updated', `${formatTime(source.updatedAt)} by ${source.updatedBy}`],
  ]);
}
