import type { DeadLetterEntry, ListDeadLettersQuery } from '@stella-orch/client';
import { InvalidArgumentError, type Command } from 'commander';
import type { CliIo } from '../cli-io.js';
import { commandContext, withAccess } from '../command-context.js';
import type { CommandAccess } from '../credentials.js';
import {
  renderDeadLetter,
  renderDeadLetterList,
  renderDeadLetterStats,
  renderDeadLetterSummary,
} from '../deadletter-output.js';
import { renderJob } from '../output.js';
import { integerIn, pointInTime } from '../option-parsers.js';

const read = (action: string): CommandAccess => ({ action: `deadletter ${action}`, scopes: ['orch:read'] });
const operate = (action: string): CommandAccess => ({
  action: `deadletter ${action}`,
  scopes: ['orch:operate'],
});

const STATUSES: readonly DeadLetterEntry['status'][] = ['open', 'replayed', 'resolved'];

function entryStatus(value: string): DeadLetterEntry['status'] {
  if (!(STATUSES as readonly string[]).includes(value))
    throw new InvalidArgumentError('Use open, replayed or resolved.');
  return value as DeadLetterEntry['status'];
}

interface ListOptions {
  status?: DeadLetterEntry['status'];
  jobType?: string;
  source?: string;
  errorType?: string;
  since?: string;
  until?: string;
  limit?: number;
  pageToken?: string;
}

/** Registers `deadletter list|show|stats|summary|replay|resolve`. */
export function registerDeadLetterCommands(program: Command, io: CliIo): void {
  const dlq = program
    .command('deadletter')
    .description('inspect, replay and resolve dead-letter entries (jobs that failed for good)');

  withAccess(dlq.command('list'), read('list'))
    .description('list dead-letter entries, newest first')
    .option('--status <status>', 'open, replayed or resolved', entryStatus)
    .option('--job-type <type>', 'only this job type')
    .option('--source <sourceId>', 'only jobs of this source')
    .option('--error-type <type>', 'only this error type')
    .option('--since <time>', 'created at or after (ISO-8601, or 30m, 12h, 7d ago)', pointInTime())
    .option('--until <time>', 'created before (ISO-8601, or a duration ago)', pointInTime())
    .option('--limit <n>', 'entries per page, 1 to 500 (default 50)', integerIn(1, 500))
    .option('--page-token <token>', 'the next_page_token of an earlier page')
    .action(async (options: ListOptions, command: Command) => {
      const { client, out } = commandContext(command, io, read('list'));
      const query: ListDeadLettersQuery = {
        ...(options.status === undefined ? {} : { status: options.status }),
        ...(options.jobType === undefined ? {} : { jobType: options.jobType }),
        ...(options.source === undefined ? {} : { sourceId: options.source }),
        ...(options.errorType === undefined ? {} : { errorType: options.errorType }),
        ...(options.since === undefined ? {} : { createdAfter: options.since }),
        ...(options.until === undefined ? {} : { createdBefore: options.until }),
        ...(options.limit === undefined ? {} : { pageSize: options.limit }),
        ...(options.pageToken === undefined ? {} : { pageToken: options.pageToken }),
      };
      out.result(await client.listDeadLetters(query), (page) => renderDeadLetterList(page.items));
    });

  withAccess(dlq.command('show'), read('show'))
    .description('show one dead-letter entry')
    .argument('<entryId>', 'the entry id')
    .action(async (entryId: string, _options: unknown, command: Command) => {
      const { client, out } = commandContext(command, io, read('show'));
      out.result(await client.getDeadLetter(entryId), renderDeadLetter);
    });

  withAccess(dlq.command('stats'), read('stats'))
    .description('count entries by status, rank the error types of open ones, name the oldest open one')
    .option('--top <n>', 'error types to list, 1 to 100 (default 10)', integerIn(1, 100))
    .action(async (options: { top?: number }, command: Command) => {
      const { client, out } = commandContext(command, io, read('stats'));
      out.result(
        await client.getDeadLetterStats(options.top === undefined ? {} : { top: options.top }),
        renderDeadLetterStats,
      );
    });

  withAccess(dlq.command('summary'), read('summary'))
    .description('group the open entries by job type, error type and source')
    .action(async (_options: unknown, command: Command) => {
      const { client, out } = commandContext(command, io, read('summary'));
      out.result(await client.getDeadLetterSummary(), renderDeadLetterSummary);
    });

  withAccess(dlq.command('replay'), operate('replay'))
    .description("replay an open entry's job as a new job and mark the entry replayed")
    .argument('<entryId>', 'the entry id')
    .option('--idempotency-key <key>', 'repeating the same key answers the same replay')
    .action(async (entryId: string, options: { idempotencyKey?: string }, command: Command) => {
      const { client, out } = commandContext(command, io, operate('replay'));
      const key = options.idempotencyKey;
      const replayed = await client.replayDeadLetter(
        entryId,
        key === undefined ? {} : { idempotencyKey: key },
      );
      out.result(
        replayed,
        (r) => `Entry ${r.entry.entryId} replayed as job ${r.job.jobId}\n${renderJob(r.job)}`,
      );
    });

  withAccess(dlq.command('resolve'), operate('resolve'))
    .description('close an open entry without replaying it, with a note saying why')
    .argument('<entryId>', 'the entry id')
    .requiredOption('--note <text>', 'why the entry needs no replay (1 to 1,024 characters)')
    .action(async (entryId: string, options: { note: string }, command: Command) => {
      const { client, out } = commandContext(command, io, operate('resolve'));
      out.result(await client.resolveDeadLetter(entryId, options.note), renderDeadLetter);
    });
}
