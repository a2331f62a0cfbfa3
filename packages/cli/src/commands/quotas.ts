import type { QuotaLimits } from '@stella-orch/client';
import type { Command } from 'commander';
import type { CliIo } from '../cli-io.js';
import { commandContext, withAccess } from '../command-context.js';
import type { CommandAccess } from '../credentials.js';
import { UsageError } from '../exit-codes.js';
import { renderQuota, renderQuotaList, renderQuotaSummary } from '../limits-output.js';
import { integerIn } from '../option-parsers.js';

const read = (action: string): CommandAccess => ({ action: `quotas ${action}`, scopes: ['orch:read'] });
const quota = (action: string): CommandAccess => ({ action: `quotas ${action}`, scopes: ['orch:quota'] });

interface LimitOptions {
  maxActive?: number;
  maxPerHour?: number;
  burst?: number;
}

/** The limits the options give (a replace: what is not given is no limit). */
function limitsFrom(options: LimitOptions, action: string): QuotaLimits {
  if (options.maxActive === undefined && options.maxPerHour === undefined) {
    throw new UsageError(`quotas ${action}: give --max-active, --max-per-hour or both`);
  }
  if (options.burst !== undefined && options.maxPerHour === undefined) {
    throw new UsageError(`quotas ${action}: --burst is the bucket of --max-per-hour; give both`);
  }
  return {
    ...(options.maxActive === undefined ? {} : { maxActive: options.maxActive }),
    ...(options.maxPerHour === undefined ? {} : { maxPerHour: options.maxPerHour }),
    ...(options.burst === undefined ? {} : { burst: options.burst }),
  };
}

function withLimitOptions(command: Command): Command {
  return command
    .option(
      '--max-active <n>',
      'the most jobs leased or running at once, 1 to 1000000',
      integerIn(1, 1_000_000),
    )
    .option('--max-per-hour <n>', 'the most leases an hour, 1 to 360000000', integerIn(1, 360_000_000))
    .option(
      '--burst <n>',
      'leases at once from the hourly rate, 1 to 1000000 (default: a minute of --max-per-hour)',
      integerIn(1, 1_000_000),
    );
}

/**
 * Registers `quotas list|get|create|update|delete|pause|resume|summary`. Changes need `orch:quota`, whose
 * token carries `--quota-reason` (and optionally `--quota-ticket`).
 */
export function registerQuotaCommands(program: Command, io: CliIo): void {
  const quotas = program
    .command('quotas')
    .description(
      'cap a tenant’s jobs, per job type or in all (reads need orch:read; changes orch:quota with --quota-reason)',
    )
    .addHelpText(
      'after',
      '\nA quota holds jobs at the lease grant: at most --max-active leased or running at once, at most\n' +
        '--max-per-hour leases an hour (bursts of --burst). Every limit that applies must allow a lease and\n' +
        'the lowest wins; held jobs wait, they never fail. One quota per job type, one for all job types.',
    );

  withAccess(quotas.command('list'), read('list'))
    .description('list the quotas, oldest first')
    .option('--job-type <type>', 'only the quota of this job type')
    .option('--limit <n>', 'quotas per page, 1 to 500 (default 50)', integerIn(1, 500))
    .action(async (options: { jobType?: string; limit?: number }, command: Command) => {
      const { client, out } = commandContext(command, io, read('list'));
      const page = await client.limits.listQuotas({
        ...(options.jobType === undefined ? {} : { jobType: options.jobType }),
        ...(options.limit === undefined ? {} : { pageSize: options.limit }),
      });
      out.result(page, (v) => renderQuotaList(v.items));
    });

  withAccess(quotas.command('get'), read('get'))
    .description('show a quota')
    .argument('<quotaId>', 'the quota id')
    .action(async (quotaId: string, _options: unknown, command: Command) => {
      const { client, out } = commandContext(command, io, read('get'));
      out.result(await client.limits.getQuota(quotaId), renderQuota);
    });

  withAccess(quotas.command('summary'), read('summary'))
    .description('each quota’s jobs active and ready and its tokens now, and the tenant’s totals')
    .action(async (_options: unknown, command: Command) => {
      const { client, out } = commandContext(command, io, read('summary'));
      out.result(await client.limits.quotaSummary(), renderQuotaSummary);
    });

  withLimitOptions(withAccess(quotas.command('create'), quota('create')))
    .description('create a quota for a job type, or (without --job-type) for all of the tenant’s jobs')
    .option('--job-type <type>', 'the job type it covers (default: every job type together)')
    .option('--idempotency-key <key>', 'makes a repeat of this request return the same quota')
    .action(
      async (options: LimitOptions & { jobType?: string; idempotencyKey?: string }, command: Command) => {
        const limits = limitsFrom(options, 'create');
        const { client, out } = commandContext(command, io, quota('create'));
        const created = await client.limits.createQuota(
          { ...(options.jobType === undefined ? {} : { jobType: options.jobType }), ...limits },
          options.idempotencyKey === undefined ? {} : { idempotencyKey: options.idempotencyKey },
        );
        out.result(created, renderQuota);
      },
    );

  withLimitOptions(withAccess(quotas.command('update'), quota('update')))
    .description('replace a quota’s limits (a limit not given is removed)')
    .argument('<quotaId>', 'the quota id')
    .option(
      '--if-version <n>',
      'refuse the change unless the quota is at this version',
      integerIn(1, 2_147_483_647),
    )
    .action(async (quotaId: string, options: LimitOptions & { ifVersion?: number }, command: Command) => {
      const limits = limitsFrom(options, 'update');
      const { client, out } = commandContext(command, io, quota('update'));
      const updated = await client.limits.updateQuota(
        quotaId,
        limits,
        options.ifVersion === undefined ? {} : { expectedVersion: options.ifVersion },
      );
      out.result(updated, renderQuota);
    });

  withAccess(quotas.command('delete'), quota('delete'))
    .description('delete a quota: its jobs are no longer limited by it')
    .argument('<quotaId>', 'the quota id')
    .option('--if-version <n>', 'refuse unless the quota is at this version', integerIn(1, 2_147_483_647))
    .action(async (quotaId: string, options: { ifVersion?: number }, command: Command) => {
      const { client, out } = commandContext(command, io, quota('delete'));
      await client.limits.deleteQuota(
        quotaId,
        options.ifVersion === undefined ? {} : { expectedVersion: options.ifVersion },
      );
      out.result({ quotaId, deleted: true }, () => `Deleted quota ${quotaId}.`);
    });

  withAccess(quotas.command('pause'), quota('pause'))
    .description('pause a quota: the jobs it covers wait (none fails) until it is resumed')
    .argument('<quotaId>', 'the quota id')
    .option('--pause-reason <text>', 'why, kept on the quota (default: the --quota-reason)')
    .option('--pause-ticket <ticket>', 'the ticket, kept on the quota (default: the --quota-ticket)')
    .action(
      async (quotaId: string, options: { pauseReason?: string; pauseTicket?: string }, command: Command) => {
        const { client, out, globals } = commandContext(command, io, quota('pause'));
        const reason = options.pauseReason ?? globals.grant.quotaReason;
        if (reason === undefined)
          throw new UsageError('quotas pause: give --pause-reason (or --quota-reason)');
        const ticket = options.pauseTicket ?? globals.grant.quotaTicket;
        out.result(
          await client.limits.pauseQuota(quotaId, { reason, ...(ticket === undefined ? {} : { ticket }) }),
          renderQuota,
        );
      },
    );

  withAccess(quotas.command('resume'), quota('resume'))
    .description('resume a paused quota: the jobs it covers can be leased again')
    .argument('<quotaId>', 'the quota id')
    .action(async (quotaId: string, _options: unknown, command: Command) => {
      const { client, out } = commandContext(command, io, quota('resume'));
      out.result(await client.limits.resumeQuota(quotaId), renderQuota);
    });
}
