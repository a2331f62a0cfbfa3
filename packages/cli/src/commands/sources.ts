import type { SourceChange, SourceRateLimit } from '@stella-orch/client';
import { InvalidArgumentError, type Command } from 'commander';
import type { CliIo } from '../cli-io.js';
import { commandContext, withAccess } from '../command-context.js';
import type { CommandAccess } from '../credentials.js';
import { UsageError } from '../exit-codes.js';
import { integerIn } from '../option-parsers.js';
import { renderSource, renderSourceList } from '../sources-output.js';

const read = (action: string): CommandAccess => ({ action: `sources ${action}`, scopes: ['orch:read'] });
const operate = (action: string): CommandAccess => ({
  action: `sources ${action}`,
  scopes: ['orch:operate'],
});

/** A commander parser for a refill rate: a number greater than 0 (the server checks the upper bound). */
function rate(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) {
    throw new InvalidArgumentError('Must be a number greater than 0.');
  }
  return n;
}

interface DescriptiveOptions {
  type?: string;
  displayName?: string;
  description?: string;
  burst?: number;
  refill?: number;
  unlimited?: boolean;
  /** A number, or `false` from `--no-max-concurrent`. */
  maxConcurrent?: number | false;
}

function maxConcurrentFrom(options: DescriptiveOptions): number | null | undefined {
  if (options.maxConcurrent === undefined) return undefined;
  return options.maxConcurrent === false ? null : options.maxConcurrent;
}

function rateLimitFrom(options: DescriptiveOptions): SourceRateLimit | null | undefined {
  if (options.unlimited === true) {
    if (options.burst !== undefined || options.refill !== undefined)
      throw new UsageError('sources: --unlimited cannot be given with --burst or --refill');
    return null;
  }
  if (options.burst === undefined && options.refill === undefined) return undefined;
  if (options.burst === undefined || options.refill === undefined)
    throw new UsageError('sources: a rate limit needs both --burst and --refill');
  return { burst: options.burst, refillPerSecond: options.refill };
}

function withDescriptiveOptions(command: Command): Command {
  return command
    .option('--display-name <name>', 'a name for people')
    .option('--description <text>', 'what the source produces')
    .option('--burst <n>', 'rate limit: jobs at once, 1 to 1000000', integerIn(1, 1_000_000))
    .option('--refill <perSecond>', 'rate limit: refill per second, > 0 and at most 100000', rate)
    .option('--unlimited', 'no rate limit')
    .option(
      '--max-concurrent <n>',
      'concurrency limit: the most jobs leased or running at once, 1 to 1000000',
      integerIn(1, 1_000_000),
    )
    .option('--no-max-concurrent', 'no concurrency limit');
}

/** Registers `sources list|get|register|update|enable|disable|pause|resume`. */
export function registerSourcesCommands(program: Command, io: CliIo): void {
  const sources = program
    .command('sources')
    .description('register and operate the producers of work (reads need orch:read, changes orch:operate)');

  withAccess(sources.command('list'), read('list'))
    .description('list the sources in registration order')
    .option('--type <type>', 'only this source type')
    .option('--enabled <yes|no>', 'only enabled (yes) or disabled (no) sources')
    .option('--paused <yes|no>', 'only paused (yes) or unpaused (no) sources')
    .option('--limit <n>', 'sources per page, 1 to 500 (default 50)', integerIn(1, 500))
    .action(
      async (
        options: { type?: string; enabled?: string; paused?: string; limit?: number },
        command: Command,
      ) => {
        const { client, out } = commandContext(command, io, read('list'));
        const flag = (value: string | undefined, name: string): boolean | undefined => {
          if (value === undefined) return undefined;
          if (value !== 'yes' && value !== 'no')
            throw new UsageError(`sources list: --${name} takes yes or no`);
          return value === 'yes';
        };
        const enabled = flag(options.enabled, 'enabled');
        const paused = flag(options.paused, 'paused');
        const page = await client.listSources({
          ...(options.type === undefined ? {} : { sourceType: options.type }),
          ...(enabled === undefined ? {} : { enabled }),
          ...(paused === undefined ? {} : { paused }),
          ...(options.limit === undefined ? {} : { pageSize: options.limit }),
        });
        out.result(page, (v) => renderSourceList(v.items));
      },
    );

  withAccess(sources.command('get'), read('get'))
    .description('show a source')
    .argument('<sourceId>', 'the source id')
    .action(async (sourceId: string, _options: unknown, command: Command) => {
      const { client, out } = commandContext(command, io, read('get'));
      out.result(await client.getSource(sourceId), renderSource);
    });

  withDescriptiveOptions(withAccess(sources.command('register'), operate('register')))
    .description('register a source')
    .argument('<sourceId>', 'the source id: 1 to 256 of A-Z a-z 0-9 . _ : / @ -, starting alphanumeric')
    .requiredOption(
      '--type <type>',
      'concelier, excititor, scheduler, export, policy or another lower-case type',
    )
    .option('--idempotency-key <key>', 'makes a repeat of this registration return the same source')
    .action(
      async (
        sourceId: string,
        options: DescriptiveOptions & { idempotencyKey?: string },
        command: Command,
      ) => {
        const { client, out } = commandContext(command, io, operate('register'));
        const rateLimit = rateLimitFrom(options);
        const maxConcurrent = maxConcurrentFrom(options);
        const source = await client.registerSource(
          {
            sourceId,
            sourceType: options.type ?? '',
            ...(options.displayName === undefined ? {} : { displayName: options.displayName }),
            ...(options.description === undefined ? {} : { description: options.description }),
            ...(rateLimit === undefined ? {} : { rateLimit }),
            ...(maxConcurrent === undefined ? {} : { maxConcurrent }),
          },
          options.idempotencyKey === undefined ? {} : { idempotencyKey: options.idempotencyKey },
        );
        out.result(source, renderSource);
      },
    );

  withDescriptiveOptions(withAccess(sources.command('update'), operate('update')))
    .description('change a source’s type, name, description, rate limit or concurrency limit')
    .argument('<sourceId>', 'the source id')
    .option('--type <type>', 'the new source type')
    .option(
      '--if-version <n>',
      'refuse the change unless the source is at this version',
      integerIn(1, 2_147_483_647),
    )
    .action(
      async (sourceId: string, options: DescriptiveOptions & { ifVersion?: number }, command: Command) => {
        const { client, out } = commandContext(command, io, operate('update'));
        const rateLimit = rateLimitFrom(options);
        const maxConcurrent = maxConcurrentFrom(options);
        const change: SourceChange = {
          ...(options.type === undefined ? {} : { sourceType: options.type }),
          ...(options.displayName === undefined ? {} : { displayName: options.displayName }),
          ...(options.description === undefined ? {} : { description: options.description }),
          ...(rateLimit === undefined ? {} : { rateLimit }),
          ...(maxConcurrent === undefined ? {} : { maxConcurrent }),
        };
        if (Object.keys(change).length === 0)
          throw new UsageError(
            'sources update: give at least one of --type, --display-name, --description, --burst/--refill, --unlimited, --max-concurrent, --no-max-concurrent',
          );
        const source = await client.updateSource(
          sourceId,
          change,
          options.ifVersion === undefined ? {} : { expectedVersion: options.ifVersion },
        );
        out.result(source, renderSource);
      },
    );

  for (const [action, description] of [
    ['enable', 'enable a source: it takes new jobs again'],
    ['disable', 'disable a source: new jobs are refused and its queued jobs wait'],
    ['resume', 'resume a paused source: its waiting jobs can be leased again'],
  ] as const) {
    withAccess(sources.command(action), operate(action))
      .description(description)
      .argument('<sourceId>', 'the source id')
      .action(async (sourceId: string, _options: unknown, command: Command) => {
        const { client, out } = commandContext(command, io, operate(action));
        out.result(await client.changeSourceState(sourceId, { action }), renderSource);
      });
  }

  withAccess(sources.command('pause'), operate('pause'))
    .description('pause a source: its queued jobs wait (none fails) until it is resumed')
    .argument('<sourceId>', 'the source id')
    .option('--pause-reason <text>', 'why, kept on the source (default: the --reason of the credentials)')
    .option(
      '--pause-ticket <ticket>',
      'the ticket, kept on the source (default: the --ticket of the credentials)',
    )
    .action(
      async (sourceId: string, options: { pauseReason?: string; pauseTicket?: string }, command: Command) => {
        const { client, out, globals } = commandContext(command, io, operate('pause'));
        const reason = options.pauseReason ?? globals.grant.operatorReason;
        if (reason === undefined) throw new UsageError('sources pause: give --pause-reason (or --reason)');
        const ticket = options.pauseTicket ?? globals.grant.operatorTicket;
        out.result(
          await client.changeSourceState(sourceId, {
            action: 'pause',
            reason,
            ...(ticket === undefined ? {} : { ticket }),
          }),
          renderSource,
        );
      },
    );
}
