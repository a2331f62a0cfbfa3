import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Job, JobStatus, JobSubmission, JsonValue } from '@stella-orch/client';
import { Option, type Command } from 'commander';
import type { CliIo } from '../cli-io.js';
import { commandContext, withAccess } from '../command-context.js';
import type { CommandAccess } from '../credentials.js';
import { UsageError } from '../exit-codes.js';
import { integerIn, jsonValue, statusList } from '../option-parsers.js';
import { renderDag } from '../dag-output.js';
import { renderWhy } from '../why-output.js';
import { renderHistory, renderJob, renderJobList, renderSummary } from '../output.js';
import { registerReplay } from './jobs-replay.js';

const read = (action: string): CommandAccess => ({ action: `jobs ${action}`, scopes: ['orch:read'] });
const operate = (action: string): CommandAccess => ({ action: `jobs ${action}`, scopes: ['orch:operate'] });

/** Registers `jobs submit|list|get|why|cancel|retry|replay|dag|summary`. */
export function registerJobsCommands(program: Command, io: CliIo): void {
  const jobs = program.command('jobs').description('submit, inspect and operate jobs');
  registerSubmit(jobs, io);
  registerList(jobs, io);

  withAccess(jobs.command('get'), read('get'))
    .description('show a job and its history')
    .argument('<jobId>', 'the job id')
    .action(async (jobId: string, _options: unknown, command: Command) => {
      const { client, out } = commandContext(command, io, read('get'));
      const [job, history] = await Promise.all([client.getJob(jobId), client.getJobHistory(jobId)]);
      out.result({ job, history }, (v) => `${renderJob(v.job)}\nHistory:\n${renderHistory(v.history)}`);
    });

  withAccess(jobs.command('why'), read('why'))
    .description('say why a job is not running: the conditions holding it, in order, with their codes')
    .argument('<jobId>', 'the job id')
    .action(async (jobId: string, _options: unknown, command: Command) => {
      const { client, out } = commandContext(command, io, read('why'));
      out.result(await client.whyJob(jobId), renderWhy);
    });

  withAccess(jobs.command('cancel'), operate('cancel'))
    .description(
      'cancel a job (a running job is asked to stop at its next heartbeat); --reason is also recorded ' +
        'in the job history',
    )
    .argument('<jobId>', 'the job id')
    .action(async (jobId: string, _options: unknown, command: Command) => {
      const { client, out, globals } = commandContext(command, io, operate('cancel'));
      const reason = globals.grant.operatorReason;
      out.result(await client.cancelJob(jobId, reason === undefined ? {} : { reason }), renderJob);
    });

  withAccess(jobs.command('retry'), operate('retry'))
    .description('retry a job now: one waiting in back-off runs at once, a failed or canceled one is cloned')
    .argument('<jobId>', 'the job id')
    .action(async (jobId: string, _options: unknown, command: Command) => {
      const { client, out } = commandContext(command, io, operate('retry'));
      out.result(await client.retryJob(jobId), renderJob);
    });

  registerReplay(jobs, io);

  withAccess(jobs.command('dag'), read('dag'))
    .description(
      'show the dependency graph of a job (every job connected to it) or, with --run, of the jobs of a ' +
        'run: topological order, parallel groups and critical path',
    )
    .argument('<id>', 'the job id (the run id with --run)')
    .option('--run', 'the id is a run id')
    .action(async (id: string, options: { run?: boolean }, command: Command) => {
      const { client, out } = commandContext(command, io, read('dag'));
      out.result(options.run === true ? await client.getRunDag(id) : await client.getJobDag(id), renderDag);
    });

  withAccess(jobs.command('summary'), read('summary'))
    .description('count jobs by status and job type')
    .option('--job-type <type>', 'only this job type')
    .option('--run-id <id>', 'only the jobs of this run')
    .action(async (options: { jobType?: string; runId?: string }, command: Command) => {
      const { client, out } = commandContext(command, io, read('summary'));
      out.result(await client.getJobsSummary(options), renderSummary);
    });
}

const SUBMIT: CommandAccess = { action: 'jobs submit', scopes: ['orch:submit'] };

interface SubmitOptions {
  payload?: JsonValue;
  payloadFile?: string;
  priority?: number;
  maxAttempts?: number;
  idempotencyKey?: string;
  runId?: string;
  source?: string;
  project?: string;
  correlationId?: string;
  notBefore?: string;
  eventTime?: string;
  dependsOn?: string[];
}

function registerSubmit(jobs: Command, io: CliIo): void {
  withAccess(jobs.command('submit'), SUBMIT)
    .description('submit a job')
    .argument('<jobType>', 'the job type, such as advisory.ingest')
    .addOption(
      new Option('--payload <json>', 'the payload, as JSON').argParser(jsonValue).conflicts('payloadFile'),
    )
    .option('--payload-file <file>', 'read the payload (JSON) from a file')
    .option('--priority <n>', 'priority, -1000 to 1000 (higher runs first)', integerIn(-1000, 1000))
    .option('--max-attempts <n>', 'attempts before the job is dead-lettered, 1 to 100', integerIn(1, 100))
    .option('--idempotency-key <key>', 'submitting the same key again returns the same job')
    .option('--run-id <id>', 'add the job to this run')
    .option('--source <sourceId>', 'the registered source the job comes from (its limits apply)')
    .option('--project <projectId>', 'the project the job belongs to')
    .option('--correlation-id <id>', 'correlates the job with the producer’s own records')
    .option('--not-before <time>', 'ISO-8601: do not lease the job before this time')
    .option('--event-time <time>', 'ISO-8601: the time of the events the job covers (watermarks)')
    .option(
      '--depends-on <jobId>',
      'run only after this job succeeded (repeatable; the job is canceled if one fails)',
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
    )
    .action(async (jobType: string, options: SubmitOptions, command: Command) => {
      const payload =
        options.payloadFile === undefined ? options.payload : await readPayload(io, options.payloadFile);
      const { client, out } = commandContext(command, io, SUBMIT);
      const submission: JobSubmission = {
        jobType,
        ...(payload === undefined ? {} : { payload }),
        ...(options.priority === undefined ? {} : { priority: options.priority }),
        ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
        ...(options.runId === undefined ? {} : { runId: options.runId }),
        ...(options.source === undefined ? {} : { sourceId: options.source }),
        ...(options.project === undefined ? {} : { projectId: options.project }),
        ...(options.correlationId === undefined ? {} : { correlationId: options.correlationId }),
        ...(options.notBefore === undefined ? {} : { notBefore: options.notBefore }),
        ...(options.eventTime === undefined ? {} : { eventTime: options.eventTime }),
        ...(options.dependsOn === undefined ? {} : { dependsOn: options.dependsOn }),
      };
      const key = options.idempotencyKey;
      out.result(
        await client.submitJob(submission, key === undefined ? {} : { idempotencyKey: key }),
        renderJob,
      );
    });
}

async function readPayload(io: CliIo, file: string): Promise<JsonValue> {
  let text: string;
  try {
    text = await readFile(resolve(io.cwd, file), 'utf8');
  } catch (error) {
    throw new UsageError(`--payload-file: cannot read ${file}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text) as JsonValue;
  } catch (error) {
    throw new UsageError(`--payload-file: ${file} is not valid JSON: ${(error as Error).message}`);
  }
}

interface ListOptions {
  status?: JobStatus[];
  jobType?: string;
  runId?: string;
  limit?: number;
  all?: boolean;
}

function registerList(jobs: Command, io: CliIo): void {
  withAccess(jobs.command('list'), read('list'))
    .description('list jobs, newest first')
    .option('--status <statuses>', 'only these statuses, comma-separated (pending,failed)', statusList)
    .option('--job-type <type>', 'only this job type')
    .option('--run-id <id>', 'only the jobs of this run')
    .option('--limit <n>', 'jobs per page, 1 to 500 (default 50)', integerIn(1, 500))
    .option('--all', 'follow every page instead of showing the first')
    .action(async (options: ListOptions, command: Command) => {
      const { client, out } = commandContext(command, io, read('list'));
      const query = {
        ...(options.status === undefined ? {} : { status: options.status }),
        ...(options.jobType === undefined ? {} : { jobType: options.jobType }),
        ...(options.runId === undefined ? {} : { runId: options.runId }),
        ...(options.limit === undefined ? {} : { pageSize: options.limit }),
      };
      if (options.all === true) {
        const items: Job[] = [];
        for await (const page of client.listAllJobs(query)) items.push(...page.items);
        out.result({ items, next_page_token: null }, (v) => renderJobList(v.items));
        return;
      }
      const page = await client.listJobs(query);
      out.result(page, (v) => renderJobList(v.items));
      if (!out.json && page.next_page_token !== null)
        out.note('More jobs match: add --all to list them all.');
    });
}
