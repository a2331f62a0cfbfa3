import type { Backfill, BackfillPreview, BackfillWithProgress, Watermark } from '@stella-orch/client';
import { formatTime, renderFields, renderTable } from './output.js';

/** The backfill list: id, source, job type, window, step, status, jobs. */
export function renderBackfillList(backfills: readonly Backfill[]): string {
  if (backfills.length === 0) return 'No backfills.';
  return renderTable(
    ['BACKFILL ID', 'SOURCE', 'JOB TYPE', 'WINDOW', 'STEP', 'STATUS', 'JOBS'],
    backfills.map((b) => [
      b.backfillId,
      b.sourceId,
      b.jobType,
      `${b.windowStart} → ${b.windowEnd}`,
      b.step,
      b.status,
      String(b.totalJobs),
    ]),
  );
}

/** One backfill, field by field, with its progress when it has it. */
export function renderBackfill(backfill: Backfill | BackfillWithProgress): string {
  const progress =
    'progress' in backfill
      ? [
          [
            'Progress',
            `${backfill.progress.percentDone}% (${backfill.progress.finished} of ${backfill.totalJobs} finished)`,
          ] as const,
          [
            'Jobs',
            Object.entries(backfill.progress.counts)
              .map(([status, n]) => `${status} ${n}`)
              .join(', '),
          ] as const,
          ['Watermark', formatTime(backfill.progress.watermark)] as const,
        ]
      : [];
  return renderFields([
    ['Backfill ID', backfill.backfillId],
    ['Source', backfill.sourceId],
    ['Job type', backfill.jobType],
    ['Window', `${backfill.windowStart} → ${backfill.windowEnd}`],
    ['Step', backfill.step],
    ['Status', backfill.status],
    ['Run', backfill.runId],
    ['Total jobs', String(backfill.totalJobs)],
    ...progress,
    ['Reason', backfill.reason],
    ['Ticket', backfill.ticket],
    [
      'Canceled',
      backfill.canceledReason === null ? '' : `${backfill.canceledReason} by ${backfill.canceledBy ?? ''}`,
    ],
    ['Created', `${formatTime(backfill.createdAt)} by ${backfill.createdBy}`],
  ]);
}

function durationOf(ms: number | null): string {
  if (ms === null) return 'unknown';
  const seconds = Math.round(ms / 1000);
  if (seconds < 120) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  return minutes < 120 ? `${minutes} min` : `${Math.round((minutes / 60) * 10) / 10} h`;
}

/** A dry run: the jobs it would create and the estimate. */
export function renderBackfillPreview(preview: BackfillPreview): string {
  return renderFields([
    ['Dry run', 'nothing was written'],
    ['Source', preview.sourceId],
    ['Job type', preview.jobType],
    ['Window', `${preview.windowStart} → ${preview.windowEnd}`],
    ['Step', preview.step],
    ['Jobs', String(preview.jobCount)],
    ['First step', `${preview.firstStep.start} → ${preview.firstStep.end}`],
    ['Last step', `${preview.lastStep.start} → ${preview.lastStep.end}`],
    ['Estimate', `${durationOf(preview.estimate.durationMs)} (${preview.estimate.basis})`],
    ['How', preview.estimate.note],
  ]);
}

/** The watermark list. */
export function renderWatermarkList(watermarks: readonly Watermark[]): string {
  if (watermarks.length === 0) return 'No watermarks.';
  return renderTable(
    ['SOURCE', 'JOB TYPE', 'WATERMARK', 'UPDATED'],
    watermarks.map((w) => [w.sourceId, w.jobType, w.watermark, formatTime(w.updatedAt)]),
  );
}
