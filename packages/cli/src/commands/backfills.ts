import type { BackfillStatus, NewBackfill } from '@stella-orch/client';
import { InvalidArgumentError, type Command } from 'commander';
import {
  renderBackfill,
  renderBackfillList,
  renderBackfillPreview,
  renderWatermarkList,
} from '../backfills-output.js';
import type { CliIo } from '../cli-io.js';
import { commandContext, withAccess } from '../command-context.js';
import type { CommandAccess } from '../credentials.js';
import { UsageError } from '../exit-codes.js';
import { integerIn } from '../option-parsers.js';

const read = (action: string): CommandAccess => ({ action: `backfills ${action}`, scopes: ['orch:read'] });
const backfill = (action: string): CommandAccess => ({
  action: `backfills ${action}`,
  scopes: ['orch:backfill'],
});

const STATUSES: readonly BackfillStatus[] = ['active', 'paused', 'completed', 'canceled'];

/** A commander parser for a JSON object (the payload template). */
function jsonObject(value: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new InvalidArgumentError('Must be a JSON object.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new InvalidArgumentError('Must be a JSON object.');
  return parsed as Record<string, unknown>;
}

interface CreateOptions {
  source: string;
  jobType: string;
  from: string;
  to: string;
  step: string;
  payload?: Record<string, unknown>;
  priority?: number;
  maxAttempts?: number;
  dryRun?: boolean;
  idempotencyKey?: string;
}

/**
 * Registers `backfills create|list|show|pause|resume|cancel` and `watermarks list`. Changes need
 * `orch:backfill`, whose token carries `--backfill-reason` and `--backfill-ticket` (or
 * `STELLA_ORCH_BACKFILL_REASON` / `_TICKET`).
 */
export function registerBackfillCommands(program: Command, io: CliIo): void {
  const backfills = program
    .command('backfills')
    .description(
      'reprocess a source over an event-time window (reads need orch:read; changes orch:backfill with --backfill-reason and --backfill-ticket)',
    );

  withAccess(backfills.command('create'), backfill('create'))
    .description('create a backfill: one job per step of the window, in one run (or --dry-run to preview)')
    .requiredOption('--source <sourceId>', 'the source to reprocess')
    .requiredOption('--job-type <jobType>', 'the job type of the jobs')
    .requiredOption('--from <time>', 'window start, ISO-8601 with an offset (inclusive)')
    .requiredOption('--to <time>', 'window end, ISO-8601 with an offset (exclusive)')
    .requiredOption('--step <duration>', 'ISO-8601 duration (PT1H, P1D) or whole seconds')
    .option('--payload <json>', 'the payload template, a JSON object (the step window is added)', jsonObject)
    .option('--priority <n>', 'job priority, -1000 to 1000', integerIn(-1000, 1000))
    .option('--max-attempts <n>', 'attempts per job, 1 to 100', integerIn(1, 100))
    .option('--dry-run', 'show the jobs it would create and an estimate; write nothing')
    .option('--idempotency-key <key>', 'makes a repeat of this request return the same backfill')
    .action(async (options: CreateOptions, command: Command) => {
      const { client, out } = commandContext(command, io, backfill('create'));
      const step = /^[0-9]+$/.test(options.step) ? Number(options.step) : options.step;
      const request: NewBackfill = {
        sourceId: options.source,
        jobType: options.jobType,
        windowStart: options.from,
        windowEnd: options.to,
        step,
        ...(options.payload === undefined ? {} : { payload: options.payload }),
        ...(options.priority === undefined ? {} : { priority: options.priority }),
        ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
      };
      if (options.dryRun === true) {
        out.result(await client.backfills.preview(request), renderBackfillPreview);
        return;
      }
      const created = await client.backfills.create(
        request,
        options.idempotencyKey === undefined ? {} : { idempotencyKey: options.idempotencyKey },
      );
      out.result(created, renderBackfill);
    });

  withAccess(backfills.command('list'), read('list'))
    .description('list backfills, newest first')
    .option('--source <sourceId>', 'only this source')
    .option('--job-type <jobType>', 'only this job type')
    .option('--status <status>', `only this status: ${STATUSES.join(', ')}`)
    .option('--limit <n>', 'backfills per page, 1 to 500 (default 50)', integerIn(1, 500))
    .action(
      async (
        options: { source?: string; jobType?: string; status?: string; limit?: number },
        command: Command,
      ) => {
        const { client, out } = commandContext(command, io, read('list'));
        const status = options.status as BackfillStatus | undefined;
        if (status !== undefined && !STATUSES.includes(status))
          throw new UsageError(`backfills list: --status takes one of ${STATUSES.join(', ')}`);
        const page = await client.backfills.list({
          ...(options.source === undefined ? {} : { sourceId: options.source }),
          ...(options.jobType === undefined ? {} : { jobType: options.jobType }),
          ...(status === undefined ? {} : { status }),
          ...(options.limit === undefined ? {} : { pageSize: options.limit }),
        });
        out.result(page, (v) => renderBackfillList(v.items));
      },
    );

  withAccess(backfills.command('show'), read('show'))
    .description('show a backfill with its progress')
    .argument('<backfillId>', 'the backfill id')
    .action(async (backfillId: string, _options: unknown, command: Command) => {
      const { client, out } = commandContext(command, io, read('show'));
      out.result(await client.backfills.get(backfillId), renderBackfill);
    });

  for (const [action, description] of [
    ['pause', 'pause a backfill: its unfinished jobs wait (running ones finish)'],
    ['resume', 'resume a paused backfill'],
  ] as const) {
    withAccess(backfills.command(action), backfill(action))
      .description(description)
      .argument('<backfillId>', 'the backfill id')
      .action(async (backfillId: string, _options: unknown, command: Command) => {
        const { client, out } = commandContext(command, io, backfill(action));
        out.result(await client.backfills.change(backfillId, { action }), renderBackfill);
      });
  }

  withAccess(backfills.command('cancel'), backfill('cancel'))
    .description('cancel a backfill: its unfinished jobs are canceled')
    .argument('<backfillId>', 'the backfill id')
    .option('--cancel-reason <text>', 'why, kept on the backfill (default: the --backfill-reason)')
    .action(async (backfillId: string, options: { cancelReason?: string }, command: Command) => {
      const { client, out } = commandContext(command, io, backfill('cancel'));
      out.result(
        await client.backfills.change(backfillId, {
          action: 'cancel',
          ...(options.cancelReason === undefined ? {} : { reason: options.cancelReason }),
        }),
        renderBackfill,
      );
    });

  const watermarks = program
    .command('watermarks')
    .description('how far live ingestion got, per source and job type (orch:read)');
  withAccess(watermarks.command('list'), { action: 'watermarks list', scopes: ['orch:read'] })
    .description('list the watermarks by source and job type')
    .option('--source <sourceId>', 'only this source')
    .option('--job-type <jobType>', 'only this job type')
    .option('--limit <n>', 'watermarks per page, 1 to 500 (default 50)', integerIn(1, 500))
    .action(async (options: { source?: string; jobType?: string; limit?: number }, command: Command) => {
      const { client, out } = commandContext(command, io, {
        action: 'watermarks list',
        scopes: ['orch:read'],
      });
      const page = await client.backfills.listWatermarks({
        ...(options.source === undefined ? {} : { sourceId: options.source }),
        ...(options.jobType === undefined ? {} : { jobType: options.jobType }),
        ...(options.limit === undefined ? {} : { pageSize: options.limit }),
      });
      out.result(page, (v) => renderWatermarkList(v.items));
    });
}
