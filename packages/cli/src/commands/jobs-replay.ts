import type { ReplayFilter } from '@stella-orch/client';
import { InvalidArgumentError, type Command } from 'commander';
import type { CliIo } from '../cli-io.js';
import { commandContext, withAccess } from '../command-context.js';
import type { CommandAccess } from '../credentials.js';
import { renderReplay } from '../deadletter-output.js';
import { UsageError } from '../exit-codes.js';
import { integerIn, pointInTime } from '../option-parsers.js';
import { renderJob } from '../output.js';

const REPLAY: CommandAccess = { action: 'jobs replay', scopes: ['orch:operate'] };
const REPLAYABLE = ['failed', 'canceled', 'succeeded'] as const;

/** A comma-separated list of the terminal states a replay by filter takes. */
function replayableStatuses(value: string): NonNullable<ReplayFilter['status']> {
  const statuses = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const bad = statuses.filter((s) => !(REPLAYABLE as readonly string[]).includes(s));
  if (bad.length > 0 || statuses.length === 0)
    throw new InvalidArgumentError('Use failed, canceled or succeeded, comma-separated.');
  return statuses as (typeof REPLAYABLE)[number][];
}

interface ReplayOptions {
  jobType?: string;
  source?: string;
  status?: NonNullable<ReplayFilter['status']>;
  since?: string;
  until?: string;
  deadLetterOpen?: boolean;
  dryRun?: boolean;
  max?: number;
  idempotencyKey?: string;
}

const FILTER_OPTIONS = [
  'jobType',
  'source',
  'status',
  'since',
  'until',
  'deadLetterOpen',
  'dryRun',
  'max',
] as const;

/**
 * Registers `jobs replay <jobId>` (one finished job) and `jobs replay --status … --max N` (every terminal
 * job a filter matches, in one call; `--dry-run` previews the counts).
 */
export function registerReplay(jobs: Command, io: CliIo): void {
  withAccess(jobs.command('replay'), REPLAY)
    .description(
      'run a finished job again as a new job (the original is untouched); without a job id, replay every ' +
        'job the filter options match (preview with --dry-run; --max is required otherwise)',
    )
    .argument('[jobId]', 'the job id (leave out to replay by filter)')
    .option('--job-type <type>', 'filter: only this job type')
    .option('--source <sourceId>', 'filter: only jobs of this source')
    .option('--status <statuses>', 'filter: failed, canceled, succeeded (default failed)', replayableStatuses)
    .option('--since <time>', 'filter: created at or after (ISO-8601, or 30m, 12h, 7d ago)', pointInTime())
    .option('--until <time>', 'filter: created before (ISO-8601, or a duration ago)', pointInTime())
    .option('--dead-letter-open', 'filter: only jobs whose dead-letter entry is open')
    .option('--dry-run', 'count what would be replayed, by job type and source; write nothing')
    .option(
      '--max <n>',
      'refuse (and write nothing) when more jobs match, 1 to 100000',
      integerIn(1, 100_000),
    )
    .option('--idempotency-key <key>', 'repeating the same key answers the same replay')
    .action(async (jobId: string | undefined, options: ReplayOptions, command: Command) => {
      const { client, out } = commandContext(command, io, REPLAY);
      const key = options.idempotencyKey;
      const keyOption = key === undefined ? {} : { idempotencyKey: key };
      if (jobId !== undefined) {
        const given = FILTER_OPTIONS.filter((name) => options[name] !== undefined);
        if (given.length > 0) throw new UsageError('give a job id or filter options, not both');
        out.result(await client.replayJob(jobId, keyOption), renderJob);
        return;
      }
      if (options.dryRun !== true && options.max === undefined)
        throw new UsageError('replay by filter needs --max (or --dry-run to preview)');
      const filter: ReplayFilter = {
        ...(options.jobType === undefined ? {} : { jobType: options.jobType }),
        ...(options.source === undefined ? {} : { sourceId: options.source }),
        ...(options.status === undefined ? {} : { status: options.status }),
        ...(options.since === undefined ? {} : { createdAfter: options.since }),
        ...(options.until === undefined ? {} : { createdBefore: options.until }),
        ...(options.deadLetterOpen === true ? { deadLetterStatus: 'open' as const } : {}),
      };
      const answer = await client.replayJobs(
        {
          filter,
          ...(options.max === undefined ? {} : { max: options.max }),
          ...(options.dryRun === true ? { dryRun: true } : {}),
        },
        keyOption,
      );
      out.result(answer, renderReplay);
    });
}
