import type {
  BulkReplay,
  DeadLetterEntry,
  DeadLetterStats,
  DeadLetterSummary,
  ReplayPreview,
} from '@stella-orch/client';
import { formatTime, renderFields, renderTable } from './output.js';

/** The entry list: id, status, job type, error type, source, attempts, when. */
export function renderDeadLetterList(entries: readonly DeadLetterEntry[]): string {
  if (entries.length === 0) return 'No dead-letter entries.';
  return renderTable(
    ['ENTRY ID', 'STATUS', 'JOB TYPE', 'ERROR TYPE', 'SOURCE', 'ATTEMPTS', 'CREATED'],
    entries.map((e) => [
      e.entryId,
      e.status,
      e.jobType,
      e.errorType,
      e.sourceId ?? '-',
      String(e.attempts),
      formatTime(e.createdAt),
    ]),
  );
}

/** One entry, field by field. */
export function renderDeadLetter(entry: DeadLetterEntry): string {
  return renderFields([
    ['Entry', entry.entryId],
    ['Status', entry.status],
    ['Job', `${entry.jobId} (${entry.jobType})`],
    ['Source', entry.sourceId ?? '-'],
    ['Attempts', String(entry.attempts)],
    ['Error', `${entry.errorType}: ${entry.errorMessage}`],
    ['Replayed as', entry.replayedJobId ?? '-'],
    [
      'Resolution',
      entry.resolutionNote === null ? '-' : `${entry.resolutionNote} (${entry.resolvedBy ?? '?'})`,
    ],
    ['Created', formatTime(entry.createdAt)],
    ['Updated', formatTime(entry.updatedAt)],
  ]);
}

/** Counts by status, top error types, oldest open entry. */
export function renderDeadLetterStats(stats: DeadLetterStats): string {
  const { open, replayed, resolved } = stats.byStatus;
  const lines = [
    `Entries: ${stats.total} (open ${open}, replayed ${replayed}, resolved ${resolved})`,
    stats.oldestOpen === null
      ? 'Oldest open: -'
      : `Oldest open: ${stats.oldestOpen.entryId} (${stats.oldestOpen.jobType}, ${formatTime(stats.oldestOpen.createdAt)})`,
  ];
  if (stats.topErrorTypes.length === 0) return lines.join('\n');
  const table = renderTable(
    ['ERROR TYPE', 'OPEN'],
    stats.topErrorTypes.map((t) => [t.errorType, String(t.count)]),
  );
  return `${lines.join('\n')}\n${table}`;
}

/** The open entries by job type × error type × source. */
export function renderDeadLetterSummary(summary: DeadLetterSummary): string {
  if (summary.groups.length === 0) return 'No open dead-letter entries.';
  const table = renderTable(
    ['JOB TYPE', 'ERROR TYPE', 'SOURCE', 'COUNT', 'FIRST SEEN', 'LAST SEEN', 'SAMPLE'],
    summary.groups.map((g) => [
      g.jobType,
      g.errorType,
      g.sourceId ?? '-',
      String(g.count),
      formatTime(g.firstSeenAt),
      formatTime(g.lastSeenAt),
      g.sampleMessage.length > 60 ? `${g.sampleMessage.slice(0, 59)}…` : g.sampleMessage,
    ]),
  );
  const more = summary.truncated ? '\n(more groups than shown)' : '';
  return `Open entries: ${summary.totalOpen}\n${table}${more}`;
}

function renderCounts(counts: ReplayPreview | BulkReplay): string {
  const byType = counts.byJobType.map((t) => `${t.jobType} ${t.count}`).join(', ');
  const bySource = counts.bySource.map((s) => `${s.sourceId ?? '(none)'} ${s.count}`).join(', ');
  return `By job type: ${byType || '-'}\nBy source: ${bySource || '-'}`;
}

/** A replay preview, or what a replay by filter did. */
export function renderReplay(answer: ReplayPreview | BulkReplay): string {
  if (answer.dryRun) {
    const limit =
      answer.max === null
        ? ''
        : answer.exceedsMax
          ? ` (over --max ${answer.max})`
          : ` (within --max ${answer.max})`;
    return `Dry run: ${answer.total} jobs would be replayed${limit}\n${renderCounts(answer)}`;
  }
  return (
    `Replay ${answer.replayId}: ${answer.total} jobs matched, ${answer.created} replayed, ` +
    `${answer.existing} found again, ${answer.deadLettersReplayed} dead-letter entries closed\n${renderCounts(answer)}`
  );
}
