import type { EventEnvelope, EventStreamFilter, StreamedItem } from '@stella-orch/client';
import { InvalidArgumentError, type Command } from 'commander';
import type { CliIo } from '../cli-io.js';
import { commandContext, withAccess } from '../command-context.js';
import type { CommandAccess } from '../credentials.js';
import { UsageError } from '../exit-codes.js';
import { integerIn } from '../option-parsers.js';
import type { Output } from '../output.js';

const access: CommandAccess = { action: 'events tail', scopes: ['orch:read'] };

interface TailOptions {
  after?: string;
  fromStart?: boolean;
  type?: string;
  jobType?: string;
  source?: string;
  run?: string;
  job?: string;
  limit?: number;
}

/** An event position: 32 hex digits (what `id:` and `--json` show). */
function position(value: string): string {
  const text = value.trim();
  if (!/^[0-9a-f]{32}$/i.test(text)) {
    throw new InvalidArgumentError(
      'Give a position as printed by --json or a resync notice (32 hex digits).',
    );
  }
  return text.toLowerCase();
}

/** One line of an event for people: time, type, job type and job (or source), status, actor. */
export function eventLine(event: EventEnvelope): string {
  const subject =
    event.jobId === null
      ? (event.sourceId ?? '')
      : `${event.jobType ?? event.job?.type ?? ''} ${event.jobId}${event.attempt === null ? '' : ` #${event.attempt}`}`;
  const status = event.job?.status ?? '';
  const reason = event.job?.reason ?? '';
  const actor = event.actor?.subject ?? '';
  return [
    event.occurredAt,
    event.eventType.padEnd(20),
    subject,
    status,
    reason,
    actor === '' ? '' : `by ${actor}`,
  ]
    .filter((part) => part !== '')
    .join('  ');
}

/** Prints a streamed item: an event line (or NDJSON), or a note on stderr. */
function print(out: Output, item: StreamedItem): void {
  if (item.kind === 'event') {
    if (out.json) out.line(JSON.stringify({ position: item.position, event: item.event }));
    else out.line(eventLine(item.event));
  } else if (item.kind === 'position_expired') {
    out.note(
      `events after ${item.position} were removed by retention; going on from the oldest kept, ${item.oldestPosition}`,
    );
  } else {
    out.note(`the server ended the stream (${item.reason}); resuming after ${item.position}`);
  }
}

/** Registers `events tail`. */
export function registerEventsCommands(program: Command, io: CliIo): void {
  const events = program.command('events').description('follow the tenant’s event log live (orch:read)');

  withAccess(events.command('tail'), access)
    .description(
      'print the tenant’s events as they happen, one line each (NDJSON with --json), until interrupted; ' +
        'a dropped connection, or a restart of the server, resumes where it stopped, without a gap or a repeat',
    )
    .option('--after <position>', 'start after this position (from --json or a resync notice)', position)
    .option('--from-start', 'start from the oldest event kept (default: new events only)')
    .option('--type <prefixes>', 'event type prefixes, comma-separated (job., job.failed,source.)')
    .option('--job-type <type>', 'only events of jobs of this type')
    .option('--source <sourceId>', 'only events of this source')
    .option('--run <runId>', 'only events of this run')
    .option('--job <jobId>', 'only events of this job')
    .option('--limit <n>', 'stop after this many events', integerIn(1, 1_000_000_000))
    .action(async (options: TailOptions, command: Command) => {
      if (options.after !== undefined && options.fromStart === true) {
        throw new UsageError('give --after or --from-start, not both');
      }
      const { client, out } = commandContext(command, io, access);
      const filter: EventStreamFilter = {
        ...(options.type === undefined ? {} : { type: options.type }),
        ...(options.jobType === undefined ? {} : { jobType: options.jobType }),
        ...(options.source === undefined ? {} : { source: options.source }),
        ...(options.run === undefined ? {} : { runId: options.run }),
        ...(options.job === undefined ? {} : { jobId: options.job }),
      };
      const after = options.fromStart === true ? '0' : options.after;
      const stop = new AbortController();
      void io.waitForShutdown().then(() => {
        stop.abort();
      });
      let printed = 0;
      for await (const item of client.events.stream({
        filter,
        signal: stop.signal,
        // A tail outlives restarts of the server: it keeps trying (every 5 s at most) until interrupted.
        maxReconnects: Number.POSITIVE_INFINITY,
        ...(after === undefined ? {} : { after }),
      })) {
        print(out, item);
        if (item.kind === 'event' && ++printed === options.limit) break;
      }
    });
}
