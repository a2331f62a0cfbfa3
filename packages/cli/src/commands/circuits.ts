import type { CircuitBreakerSettings, CircuitState } from '@stella-orch/client';
import { InvalidArgumentError, type Command } from 'commander';
import type { CliIo } from '../cli-io.js';
import { renderCircuitBreaker, renderCircuitBreakerList } from '../circuits-output.js';
import { commandContext, withAccess } from '../command-context.js';
import type { CommandAccess } from '../credentials.js';
import { UsageError } from '../exit-codes.js';
import { integerIn } from '../option-parsers.js';

const read = (action: string): CommandAccess => ({ action: `circuits ${action}`, scopes: ['orch:read'] });
const operate = (action: string): CommandAccess => ({
  action: `circuits ${action}`,
  scopes: ['orch:operate'],
});

const STATES: readonly CircuitState[] = ['closed', 'open', 'half_open'];

/** A commander parser for a failure ratio: a number greater than 0 and at most 1 (`0.5`, or `50%`). */
function ratio(value: string): number {
  const text = value.trim();
  const n = text.endsWith('%') ? Number(text.slice(0, -1)) / 100 : Number(text);
  if (text === '' || !Number.isFinite(n) || n <= 0 || n > 1) {
    throw new InvalidArgumentError('Must be a number greater than 0 and at most 1 (or a percentage, 50%).');
  }
  return n;
}

interface SettingOptions {
  failureRatio?: number;
  minVolume?: number;
  window?: number;
  coolDown?: number;
  probes?: number;
}

/** The settings the options give (absent ones: the defaults on create, unchanged on update). */
function settingsFrom(options: SettingOptions): Partial<CircuitBreakerSettings> {
  return {
    ...(options.failureRatio === undefined ? {} : { failureRatio: options.failureRatio }),
    ...(options.minVolume === undefined ? {} : { minVolume: options.minVolume }),
    ...(options.window === undefined ? {} : { windowSeconds: options.window }),
    ...(options.coolDown === undefined ? {} : { coolDownSeconds: options.coolDown }),
    ...(options.probes === undefined ? {} : { probeLeases: options.probes }),
  };
}

function withSettingOptions(command: Command, defaults: boolean): Command {
  const dflt = (text: string) => (defaults ? ` (default ${text})` : '');
  return command
    .option(
      '--failure-ratio <r>',
      `the share of failed attempts that opens it, > 0 and at most 1, or 50%${dflt('0.5')}`,
      ratio,
    )
    .option(
      '--min-volume <n>',
      `the fewest attempts in the window for the ratio to count, 1 to 1000000${dflt('20')}`,
      integerIn(1, 1_000_000),
    )
    .option(
      '--window <seconds>',
      `the sliding window of ended attempts, 10 to 86400 seconds${dflt('60')}`,
      integerIn(10, 86_400),
    )
    .option(
      '--cool-down <seconds>',
      `how long it stays open before probes, 1 to 86400 seconds${dflt('30')}`,
      integerIn(1, 86_400),
    )
    .option(
      '--probes <n>',
      `half-open: jobs at once as probes, and successes that close it, 1 to 1000${dflt('1')}`,
      integerIn(1, 1_000),
    );
}

/**
 * Registers `circuits list|get|create|update|delete|reset`. Changes need `orch:operate` (`--reason`,
 * `--ticket`).
 */
export function registerCircuitCommands(program: Command, io: CliIo): void {
  const circuits = program
    .command('circuits')
    .description('circuit breakers on a source or a job type (reads need orch:read; changes orch:operate)')
    .addHelpText(
      'after',
      '\nA breaker counts the attempts of its scope that workers end. It opens when --failure-ratio of the\n' +
        'attempts ended in the last --window seconds failed (at least --min-volume of them): then nothing of\n' +
        'its scope is leased. After --cool-down seconds it is half-open: --probes jobs at once; that many\n' +
        'successes close it, one failure opens it again. Held jobs wait, they never fail; `jobs why` names\n' +
        'the breaker (CIRCUIT_OPEN, CIRCUIT_HALF_OPEN). `circuits reset` closes it at once.',
    );

  withAccess(circuits.command('list'), read('list'))
    .description('list the breakers, oldest first, with their state and window')
    .option('--state <state>', 'only breakers in this state: closed, open or half_open')
    .option('--source <sourceId>', 'only the breaker of this source')
    .option('--job-type <type>', 'only the breaker of this job type')
    .option('--limit <n>', 'breakers per page, 1 to 500 (default 50)', integerIn(1, 500))
    .action(
      async (
        options: { state?: string; source?: string; jobType?: string; limit?: number },
        command: Command,
      ) => {
        const state = STATES.find((s) => s === options.state);
        if (options.state !== undefined && state === undefined) {
          throw new UsageError('circuits list: --state takes closed, open or half_open');
        }
        const { client, out } = commandContext(command, io, read('list'));
        const page = await client.circuits.listBreakers({
          ...(state === undefined ? {} : { state }),
          ...(options.source === undefined ? {} : { sourceId: options.source }),
          ...(options.jobType === undefined ? {} : { jobType: options.jobType }),
          ...(options.limit === undefined ? {} : { pageSize: options.limit }),
        });
        out.result(page, (v) => renderCircuitBreakerList(v.items));
      },
    );

  withAccess(circuits.command('get'), read('get'))
    .description('show a breaker: its state, since when, until when, and its window')
    .argument('<breakerId>', 'the breaker id')
    .action(async (breakerId: string, _options: unknown, command: Command) => {
      const { client, out } = commandContext(command, io, read('get'));
      out.result(await client.circuits.getBreaker(breakerId), renderCircuitBreaker);
    });

  withSettingOptions(withAccess(circuits.command('create'), operate('create')), true)
    .description('create a breaker on a source or a job type (exactly one)')
    .option('--source <sourceId>', 'a registered source')
    .option('--job-type <type>', 'a job type')
    .option('--idempotency-key <key>', 'makes a repeat of this request return the same breaker')
    .action(
      async (
        options: SettingOptions & { source?: string; jobType?: string; idempotencyKey?: string },
        command: Command,
      ) => {
        if ((options.source === undefined) === (options.jobType === undefined)) {
          throw new UsageError('circuits create: give exactly one of --source and --job-type');
        }
        const { client, out } = commandContext(command, io, operate('create'));
        const created = await client.circuits.createBreaker(
          {
            ...(options.source === undefined ? {} : { sourceId: options.source }),
            ...(options.jobType === undefined ? {} : { jobType: options.jobType }),
            ...settingsFrom(options),
          },
          options.idempotencyKey === undefined ? {} : { idempotencyKey: options.idempotencyKey },
        );
        out.result(created, renderCircuitBreaker);
      },
    );

  withSettingOptions(withAccess(circuits.command('update'), operate('update')), false)
    .description('change a breaker’s settings (those not given stay as they are)')
    .argument('<breakerId>', 'the breaker id')
    .option(
      '--if-version <n>',
      'refuse the change unless the breaker is at this version',
      integerIn(1, 2_147_483_647),
    )
    .action(async (breakerId: string, options: SettingOptions & { ifVersion?: number }, command: Command) => {
      const settings = settingsFrom(options);
      if (Object.keys(settings).length === 0) {
        throw new UsageError(
          'circuits update: give at least one of --failure-ratio, --min-volume, --window, --cool-down, --probes',
        );
      }
      const { client, out } = commandContext(command, io, operate('update'));
      const updated = await client.circuits.updateBreaker(
        breakerId,
        settings,
        options.ifVersion === undefined ? {} : { expectedVersion: options.ifVersion },
      );
      out.result(updated, renderCircuitBreaker);
    });

  withAccess(circuits.command('delete'), operate('delete'))
    .description('delete a breaker: its scope is no longer held by it')
    .argument('<breakerId>', 'the breaker id')
    .option('--if-version <n>', 'refuse unless the breaker is at this version', integerIn(1, 2_147_483_647))
    .action(async (breakerId: string, options: { ifVersion?: number }, command: Command) => {
      const { client, out } = commandContext(command, io, operate('delete'));
      await client.circuits.deleteBreaker(
        breakerId,
        options.ifVersion === undefined ? {} : { expectedVersion: options.ifVersion },
      );
      out.result({ breakerId, deleted: true }, () => `Deleted circuit breaker ${breakerId}.`);
    });

  withAccess(circuits.command('reset'), operate('reset'))
    .description('close an open or half-open breaker now (its window is emptied); a closed one is left alone')
    .argument('<breakerId>', 'the breaker id')
    .action(async (breakerId: string, _options: unknown, command: Command) => {
      const { client, out } = commandContext(command, io, operate('reset'));
      out.result(await client.circuits.resetBreaker(breakerId), renderCircuitBreaker);
    });
}
