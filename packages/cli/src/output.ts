import {
  JOB_STATUSES,
  type Job,
  type JobHistoryEntry,
  type JobSummary,
  type StatusCounts,
} from '@stella-orch/client';
import Table from 'cli-table3';
import type { CliIo } from './cli-io.js';

/** Writes command results: JSON with `--json`, tables otherwise. */
export class Output {
  readonly #io: CliIo;
  /** Whether results are printed as JSON. */
  readonly json: boolean;

  /**
   * @param io - where to write
   * @param json - print JSON instead of tables
   */
  constructor(io: CliIo, json: boolean) {
    this.#io = io;
    this.json = json;
  }

  /** Prints `value` as indented JSON. */
  printJson(value: unknown): void {
    this.#io.stdout(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** Prints one line of text. */
  line(text: string): void {
    this.#io.stdout(`${text}\n`);
  }

  /** Prints a note for people to stderr (kept out of piped output). */
  note(text: string): void {
    this.#io.stderr(`${text}\n`);
  }

  /** Prints `value` as JSON, or the text `render` makes of it. */
  result<T>(value: T, render: (value: T) => string): void {
    if (this.json) this.printJson(value);
    else this.line(render(value));
  }
}

/** A plain table (no colours, so output is the same in a terminal and a pipe). */
export function renderTable(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const table = new Table({ head: [...head], style: { head: [], border: [], compact: true } });
  for (const row of rows) table.push([...row]);
  return table.toString();
}

/** A two-column table of labelled values. */
export function renderFields(fields: readonly (readonly [string, string])[]): string {
  const table = new Table({ style: { head: [], border: [], compact: true } });
  for (const [label, value] of fields) table.push([label, value]);
  return table.toString();
}

/** An ISO-8601 timestamp to the second, `2025-06-01 12:00:03Z`; `-` for none. */
export function formatTime(iso: string | null): string {
  if (iso === null) return '-';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** JSON on one line, cut to `max` characters. */
export function compactJson(value: unknown, max = 200): string {
  const text = JSON.stringify(value) ?? 'null';
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The job list: id, type, status, attempt, priority, creation time. */
export function renderJobList(jobs: readonly Job[]): string {
  if (jobs.length === 0) return 'No jobs.';
  return renderTable(
    ['JOB ID', 'TYPE', 'STATUS', 'ATTEMPT', 'PRIORITY', 'CREATED'],
    jobs.map((j) => [
      j.jobId,
      j.jobType,
      statusLabel(j),
      `${j.attempt}/${j.maxAttempts}`,
      String(j.priority),
      formatTime(j.createdAt),
    ]),
  );
}

/** One job, field by field. */
export function renderJob(job: Job): string {
  const fields: [string, string][] = [
    ['Job ID', job.jobId],
    ['Type', job.jobType],
    ['Status', statusLabel(job)],
    ['Attempt', `${job.attempt} of ${job.maxAttempts}`],
    ['Priority', String(job.priority)],
  ];
  const optional: [string, string | null][] = [
    ['Run', job.runId],
    ['Source', job.sourceId],
    ['Project', job.projectId],
    ['Replay of', job.replayOf],
    ['Idempotency key', job.idempotencyKey],
  ];
  for (const [label, value] of optional) if (value !== null) fields.push([label, value]);
  if (job.dependsOn.length > 0) fields.push(['Depends on', job.dependsOn.join(' ')]);
  fields.push(['Correlation ID', job.correlationId], ['Payload digest', job.payloadDigest]);
  fields.push(['Payload', compactJson(job.payload)]);
  if (job.lease !== null) {
    fields.push(['Lease', `${job.lease.workerId} until ${formatTime(job.lease.leaseUntil)}`]);
  }
  if (job.progress !== null) fields.push(['Progress', compactJson(job.progress)]);
  if (job.lastError !== null) {
    const retry = job.lastError.retryable ? 'retryable' : 'not retryable';
    fields.push(['Last error', `${job.lastError.type}: ${job.lastError.message} (${retry})`]);
  }
  if (job.result !== null) fields.push(['Result', compactJson(job.result)]);
  fields.push(
    ['Created', formatTime(job.createdAt)],
    ['Next eligible', formatTime(job.nextEligibleAt)],
    ['Started', formatTime(job.startedAt)],
    ['Completed', formatTime(job.completedAt)],
  );
  return renderFields(fields);
}

/** A job's transitions, oldest first. */
export function renderHistory(history: readonly JobHistoryEntry[]): string {
  if (history.length === 0) return 'No history.';
  return renderTable(
    ['#', 'TRANSITION', 'ATTEMPT', 'REASON', 'ACTOR', 'AT'],
    history.map((h) => [
      String(h.sequence),
      `${h.fromStatus ?? '(new)'} → ${h.toStatus}`,
      String(h.attempt),
      h.reason,
      h.actor,
      formatTime(h.occurredAt),
    ]),
  );
}

/** Job counts: per status overall, then a job type × status grid. */
export function renderSummary(summary: JobSummary): string {
  const overall = renderTable(
    ['STATUS', 'JOBS'],
    [...JOB_STATUSES.map((s) => [s, String(summary.byStatus[s] ?? 0)]), ['total', String(summary.total)]],
  );
  if (summary.byJobType.length === 0) return overall;
  const grid = renderTable(
    ['JOB TYPE', ...JOB_STATUSES, 'TOTAL'],
    summary.byJobType.map((t) => [
      t.jobType,
      ...JOB_STATUSES.map((s) => String(t.byStatus[s] ?? 0)),
      String(total(t.byStatus)),
    ]),
  );
  return `${overall}\n${grid}`;
}

function total(counts: StatusCounts): number {
  return Object.values(counts).reduce((sum, n) => sum + n, 0);
}

function statusLabel(job: Job): string {
  return job.cancelRequested && job.status !== 'canceled' ? `${job.status} (cancel requested)` : job.status;
}
