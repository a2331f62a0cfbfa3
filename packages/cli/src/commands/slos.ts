import type { NewSlo } from '@stella-orch/client';
import { InvalidArgumentError, type Command } from 'commander';
import type { CliIo } from '../cli-io.js';
import { commandContext, withAccess } from '../command-context.js';
import type { CommandAccess } from '../credentials.js';
import { integerIn } from '../option-parsers.js';
import {
  renderBurnRate,
  renderIncident,
  renderIncidentList,
  renderSlo,
  renderSloList,
} from '../slos-output.js';

const read = (action: string): CommandAccess => ({ action, scopes: ['orch:read'] });
const operate = (action: string): CommandAccess => ({ action, scopes: ['orch:operate'] });

const WINDOW_UNITS: Readonly<Record<string, number>> = { h: 3_600, d: 86_400 };

/** A window such as `30d` or `12h`, in seconds. */
function windowSeconds(value: string): number {
  const match = /^(\d+)([hd])$/.exec(value.trim());
  if (match === null) throw new InvalidArgumentError('Give a window in hours or days, such as 12h or 30d.');
  return Number(match[1]) * (WINDOW_UNITS[match[2] ?? 'd'] ?? 86_400);
}

/** A number strictly between 0 and 1, or a percentage (99.5%). */
function objective(value: string): number {
  const text = value.trim();
  const n = text.endsWith('%') ? Number(text.slice(0, -1)) / 100 : Number(text);
  if (!Number.isFinite(n) || n <= 0 || n >= 1) {
    throw new InvalidArgumentError('Give an objective between 0 and 1 (0.99) or a percentage (99%).');
  }
  return n;
}

/** A burn-rate threshold above 0. */
function threshold(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('Must be a number above 0.');
  return n;
}

interface CreateOptions {
  objective: number;
  jobType?: string;
  source?: string;
  window?: number;
  fastBurn?: number;
  slowBurn?: number;
  pauseSource?: boolean;
  description?: string;
}

/** Registers `slos list|show|burn-rate|create|delete` and `incidents list|show`. */
export function registerSloCommands(program: Command, io: CliIo): void {
  const slos = program
    .command('slos')
    .description('service-level objectives over job outcomes, and their burn rates');

  withAccess(slos.command('list'), read('slos list'))
    .description('list the SLOs, newest first')
    .option('--page-size <n>', 'SLOs per page, 1 to 500 (default 50)', integerIn(1, 500))
    .action(async (options: { pageSize?: number }, command: Command) => {
      const { client, out } = commandContext(command, io, read('slos list'));
      const page = await client.listSlos(
        options.pageSize === undefined ? {} : { pageSize: options.pageSize },
      );
      out.result(page, (p) => renderSloList(p.items));
    });

  withAccess(slos.command('show'), read('slos show'))
    .description('show one SLO')
    .argument('<sloId>', 'the SLO id')
    .action(async (sloId: string, _options: unknown, command: Command) => {
      const { client, out } = commandContext(command, io, read('slos show'));
      out.result(await client.getSlo(sloId), renderSlo);
    });

  withAccess(slos.command('burn-rate'), read('slos burn-rate'))
    .description('show an SLO’s burn rates over 1h, 6h, 24h and 30d, its error budget and alerts')
    .argument('<sloId>', 'the SLO id')
    .action(async (sloId: string, _options: unknown, command: Command) => {
      const { client, out } = commandContext(command, io, read('slos burn-rate'));
      out.result(await client.getSloBurnRate(sloId), renderBurnRate);
    });

  withAccess(slos.command('create'), operate('slos create'))
    .description('define an SLO: the share of terminal jobs that must succeed (needs orch:operate)')
    .argument('<name>', 'a name, unique in the tenant')
    .requiredOption('--objective <objective>', 'between 0 and 1, or a percentage (99.5%)', objective)
    .option('--job-type <type>', 'only jobs of this type (default: all)')
    .option('--source <sourceId>', 'only jobs of this source (default: all)')
    .option('--window <window>', 'the SLO window, 1h to 90d (default 30d)', windowSeconds)
    .option('--fast-burn <n>', 'burn rate over 1h that opens an incident (default 14.4)', threshold)
    .option('--slow-burn <n>', 'burn rate over 6h that opens an incident (default 6)', threshold)
    .option('--pause-source', 'ask for the source to be paused when an incident opens (needs --source)')
    .option('--description <text>', 'a description for people')
    .action(async (name: string, options: CreateOptions, command: Command) => {
      const { client, out } = commandContext(command, io, operate('slos create'));
      const alertPolicy = {
        ...(options.fastBurn === undefined ? {} : { fastBurnThreshold: options.fastBurn }),
        ...(options.slowBurn === undefined ? {} : { slowBurnThreshold: options.slowBurn }),
      };
      const slo: NewSlo = {
        name,
        objective: options.objective,
        ...(options.jobType === undefined ? {} : { jobType: options.jobType }),
        ...(options.source === undefined ? {} : { sourceId: options.source }),
        ...(options.window === undefined ? {} : { windowSeconds: options.window }),
        ...(Object.keys(alertPolicy).length === 0 ? {} : { alertPolicy }),
        ...(options.pauseSource === true ? { pauseSourceOnIncident: true } : {}),
        ...(options.description === undefined ? {} : { description: options.description }),
      };
      out.result(await client.createSlo(slo), renderSlo);
    });

  withAccess(slos.command('delete'), operate('slos delete'))
    .description('delete an SLO and its incidents (needs orch:operate)')
    .argument('<sloId>', 'the SLO id')
    .action(async (sloId: string, _options: unknown, command: Command) => {
      const { client, out } = commandContext(command, io, operate('slos delete'));
      await client.deleteSlo(sloId);
      out.result({ sloId, deleted: true }, () => `Deleted SLO ${sloId}.`);
    });

  const incidents = program
    .command('incidents')
    .description('SLO incidents: opened when a burn rate passes its threshold');

  withAccess(incidents.command('list'), read('incidents list'))
    .description('list incidents, newest first')
    .option('--status <status>', 'open or resolved', (value: string) => {
      if (value !== 'open' && value !== 'resolved')
        throw new InvalidArgumentError('Must be open or resolved.');
      return value;
    })
    .option('--slo <sloId>', 'only incidents of this SLO')
    .option('--page-size <n>', 'incidents per page, 1 to 500 (default 50)', integerIn(1, 500))
    .action(
      async (
        options: { status?: 'open' | 'resolved'; slo?: string; pageSize?: number },
        command: Command,
      ) => {
        const { client, out } = commandContext(command, io, read('incidents list'));
        const page = await client.listIncidents({
          ...(options.status === undefined ? {} : { status: options.status }),
          ...(options.slo === undefined ? {} : { sloId: options.slo }),
          ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }),
        });
        out.result(page, (p) => renderIncidentList(p.items));
      },
    );

  withAccess(incidents.command('show'), read('incidents show'))
    .description('show one incident')
    .argument('<incidentId>', 'the incident id')
    .action(async (incidentId: string, _options: unknown, command: Command) => {
      const { client, out } = commandContext(command, io, read('incidents show'));
      out.result(await client.getIncident(incidentId), renderIncident);
    });
}
