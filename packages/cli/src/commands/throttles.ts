import type { NewThrottle } from '@stella-orch/client';
import { InvalidArgumentError, type Command } from 'commander';
import type { CliIo } from '../cli-io.js';
import { commandContext, withAccess } from '../command-context.js';
import type { CommandAccess } from '../credentials.js';
import { UsageError } from '../exit-codes.js';
import { renderThrottle, renderThrottleList } from '../limits-output.js';
import { integerIn } from '../option-parsers.js';

const read = (action: string): CommandAccess => ({ action: `throttles ${action}`, scopes: ['orch:read'] });
const operate = (action: string): CommandAccess => ({
  action: `throttles ${action}`,
  scopes: ['orch:operate'],
});

const SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3_600, d: 86_400 };

/** A commander parser for how long a throttle lasts: whole seconds, or `90s`, `30m`, `12h`, `7d`. */
function durationSeconds(value: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(value.trim());
  const seconds = match === null ? Number.NaN : Number(match[1]) * (SECONDS[match[2] || 's'] ?? 1);
  if (!Number.isSafeInteger(seconds) || seconds < 1) {
    throw new InvalidArgumentError('Give whole seconds or a duration such as 90s, 30m, 12h or 7d.');
  }
  return seconds;
}

/** A commander parser for a rate: a number greater than 0 (the server checks the upper bound). */
function rate(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) {
    throw new InvalidArgumentError('Must be a number greater than 0.');
  }
  return n;
}

interface CreateOptions {
  source?: string;
  jobType?: string;
  pause?: boolean;
  maxPerSecond?: number;
  maxConcurrent?: number;
  duration?: number;
  expiresAt?: string;
  idempotencyKey?: string;
}

function throttleFrom(options: CreateOptions): NewThrottle {
  if (options.pause !== true && options.maxPerSecond === undefined && options.maxConcurrent === undefined) {
    throw new UsageError('throttles create: give --pause, --max-per-second or --max-concurrent');
  }
  if ((options.duration === undefined) === (options.expiresAt === undefined)) {
    throw new UsageError('throttles create: give exactly one of --duration and --expires-at');
  }
  return {
    ...(options.source === undefined ? {} : { sourceId: options.source }),
    ...(options.jobType === undefined ? {} : { jobType: options.jobType }),
    ...(options.pause === true ? { pause: true } : {}),
    ...(options.maxPerSecond === undefined ? {} : { maxPerSecond: options.maxPerSecond }),
    ...(options.maxConcurrent === undefined ? {} : { maxConcurrent: options.maxConcurrent }),
    ...(options.duration === undefined ? {} : { durationSeconds: options.duration }),
    ...(options.expiresAt === undefined ? {} : { expiresAt: options.expiresAt }),
  };
}

/** Registers `throttles list|get|create|revoke`. Changes need `orch:operate` (`--reason`, `--ticket`). */
export function registerThrottleCommands(program: Command, io: CliIo): void {
  const throttles = program
    .command('throttles')
    .description(
      'temporarily pause or slow a source, a job type or the tenant (reads need orch:read; changes orch:operate)',
    )
    .addHelpText(
      'after',
      '\nA throttle is an operator override with an end (at most 30 days): it pauses, lowers the rate or\n' +
        'lowers the concurrency of what it targets. Every limit that applies must allow a lease and the lowest\n' +
        'wins, so a throttle can only hold back; held jobs wait, they never fail.',
    );

  withAccess(throttles.command('list'), read('list'))
    .description('list throttles, newest first')
    .option('--source <sourceId>', 'only throttles of this source')
    .option('--job-type <type>', 'only throttles of this job type')
    .option('--active <yes|no>', 'only those in force (yes), or only revoked and expired ones (no)')
    .option('--limit <n>', 'throttles per page, 1 to 500 (default 50)', integerIn(1, 500))
    .action(
      async (
        options: { source?: string; jobType?: string; active?: string; limit?: number },
        command: Command,
      ) => {
        if (options.active !== undefined && options.active !== 'yes' && options.active !== 'no') {
          throw new UsageError('throttles list: --active takes yes or no');
        }
        const { client, out } = commandContext(command, io, read('list'));
        const page = await client.limits.listThrottles({
          ...(options.source === undefined ? {} : { sourceId: options.source }),
          ...(options.jobType === undefined ? {} : { jobType: options.jobType }),
          ...(options.active === undefined ? {} : { active: options.active === 'yes' }),
          ...(options.limit === undefined ? {} : { pageSize: options.limit }),
        });
        out.result(page, (v) => renderThrottleList(v.items));
      },
    );

  withAccess(throttles.command('get'), read('get'))
    .description('show a throttle')
    .argument('<throttleId>', 'the throttle id')
    .action(async (throttleId: string, _options: unknown, command: Command) => {
      const { client, out } = commandContext(command, io, read('get'));
      out.result(await client.limits.getThrottle(throttleId), renderThrottle);
    });

  withAccess(throttles.command('create'), operate('create'))
    .description('throttle a source, a job type, both, or (neither) the whole tenant, until it ends')
    .option('--source <sourceId>', 'a registered source (default: every source)')
    .option('--job-type <type>', 'a job type (default: every job type)')
    .option('--pause', 'lease nothing of the target until the throttle ends')
    .option('--max-per-second <n>', 'lower the rate to n leases a second, > 0 and at most 100000', rate)
    .option(
      '--max-concurrent <n>',
      'lower the concurrency to n jobs at once, 0 to 1000000',
      integerIn(0, 1_000_000),
    )
    .option(
      '--duration <d>',
      'how long it lasts: seconds, or 90s, 30m, 12h, 7d (at most 30 days)',
      durationSeconds,
    )
    .option('--expires-at <time>', 'when it ends: ISO-8601 with an offset, within 30 days')
    .option('--idempotency-key <key>', 'makes a repeat of this request return the same throttle')
    .action(async (options: CreateOptions, command: Command) => {
      const throttle = throttleFrom(options);
      const { client, out } = commandContext(command, io, operate('create'));
      const created = await client.limits.createThrottle(
        throttle,
        options.idempotencyKey === undefined ? {} : { idempotencyKey: options.idempotencyKey },
      );
      out.result(created, renderThrottle);
    });

  withAccess(throttles.command('revoke'), operate('revoke'))
    .description('end a throttle now (a revoked or expired one is left as it is)')
    .argument('<throttleId>', 'the throttle id')
    .option('--revoke-reason <text>', 'why it ends early (default: the --reason of the credentials)')
    .action(async (throttleId: string, options: { revokeReason?: string }, command: Command) => {
      const { client, out } = commandContext(command, io, operate('revoke'));
      out.result(
        await client.limits.revokeThrottle(
          throttleId,
          options.revokeReason === undefined ? {} : { reason: options.revokeReason },
        ),
        renderThrottle,
      );
    });
}
