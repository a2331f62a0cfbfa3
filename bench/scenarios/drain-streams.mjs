// Scenario: the drain, once plain and once with 50 SSE subscribers of the tenant's events attached.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { JOB_TYPE, prequeue, statusCounts, withServer } from '../harness.mjs';
import { measureDrain } from '../worker-fleet.mjs';
import { log, onInterrupt, perSecond, round, sleep } from '../util.mjs';
import { drainSettings } from './drain.mjs';

export const name = 'drain-streams';
export const title = 'drain with 50 SSE event subscribers attached, against the plain drain';

const SUBSCRIBERS = 50;
const SUBSCRIBER_SCRIPT = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'stream-subscriber-process.mjs',
);

/**
 * Starts the subscriber process and waits until every stream is subscribed.
 * @param {{ url: string, tenant: string, subscribers: number }} settings
 * @param {string | undefined} cpuProfDir - profile the subscriber process there too (`--cpu-prof`)
 */
async function startSubscribers(settings, cpuProfDir) {
  const profile = cpuProfDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}/subscribers`];
  // At the lowest CPU priority: the subscribers stand for clients on other machines, and on a small box
  // they would otherwise take the CPU the server and PostgreSQL need (their lag then grows instead).
  const child = spawn(
    'nice',
    ['-n', '19', process.execPath, ...profile, SUBSCRIBER_SCRIPT, JSON.stringify(settings)],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const forget = onInterrupt(async () => {
    child.kill('SIGKILL');
  });
  /** @type {((message: any) => void)[]} */
  const waiters = [];
  createInterface({ input: /** @type {import('node:stream').Readable} */ (child.stdout) }).on(
    'line',
    (line) => {
      const message = JSON.parse(line);
      for (const waiter of waiters.splice(0)) waiter(message);
    },
  );
  const next = () =>
    /** @type {Promise<any>} */ (
      new Promise((resolve, reject) => {
        waiters.push(resolve);
        child.once('close', (code) => reject(new Error(`the subscriber process exited (${code})`)));
      })
    );
  const ready = await next();
  if (ready.t !== 'ready') throw new Error(`unexpected ${JSON.stringify(ready)}`);
  return {
    /** @returns {Promise<number[]>} */
    counts: async () => {
      const reply = next();
      child.stdin?.write('counts\n');
      return (await reply).events;
    },
    /** @returns {Promise<{ events: number[], resyncs: number, bytes: number, chunks: number, cpuSeconds: number, cpuSystemSeconds: number, lagMs: { p50: number, p99: number, max: number, count: number } }>} */
    stop: async () => {
      const reply = next();
      child.stdin?.write('stop\n');
      const stopped = await reply;
      await once(child, 'close');
      forget();
      return stopped;
    },
  };
}

/**
 * One drain on a fresh server, with `subscribers` event streams attached (0: the plain drain).
 * @param {import('../harness.mjs').ScenarioContext} ctx
 * @param {number} jobs
 * @param {number} subscribers
 */
async function drainOnce(ctx, jobs, subscribers) {
  const settings = drainSettings(ctx);
  return withServer(ctx, name, async ({ client, url, tenant, server }) => {
    await prequeue(client, jobs, { label: 'pre-queued' });
    const streams =
      subscribers === 0 ? null : await startSubscribers({ url, tenant, subscribers }, ctx.cpuProfDir);
    log(`  draining ${jobs} jobs with ${subscribers} subscribers`);
    const cpuBefore = server.cpuSeconds() ?? Number.NaN;
    const nothingLeft = async () => {
      const c = await statusCounts(client);
      return (c['pending'] ?? 0) + (c['leased'] ?? 0) + (c['running'] ?? 0) === 0;
    };
    const drained = await measureDrain(
      { ...settings, url, tenant, jobType: JOB_TYPE },
      jobs,
      30 * 60_000,
      nothingLeft,
    );
    // The server's CPU time during the drain alone (set-up and the subscribers' tail left out).
    const drainCpuSeconds = round((server.cpuSeconds() ?? Number.NaN) - cpuBefore, 1);
    const counts = await statusCounts(client);
    if (counts['succeeded'] !== jobs)
      throw new Error(`expected ${jobs} succeeded jobs, got ${JSON.stringify(counts)}`);
    if (streams === null) return { drained, drainCpuSeconds, stream: null };
    // Let the subscribers take the tail: stop once no count moved for a second.
    let last = '';
    for (let i = 0; i < 60; i++) {
      const now = JSON.stringify(await streams.counts());
      if (now === last) break;
      last = now;
      await sleep(1_000);
    }
    return { drained, drainCpuSeconds, stream: await streams.stop() };
  });
}

/**
 * @param {import('../harness.mjs').ScenarioContext} ctx
 * @returns {Promise<Omit<import('../harness.mjs').ScenarioResult, 'scenario' | 'engine' | 'wallSeconds'>>}
 */
export async function run(ctx) {
  const jobs = ctx.quick ? 10_000 : 100_000;
  const plain = await drainOnce(ctx, jobs, 0);
  const streamed = await drainOnce(ctx, jobs, SUBSCRIBERS);
  const plainRate = perSecond(jobs, plain.value.drained.ms);
  const streamedRate = perSecond(jobs, streamed.value.drained.ms);
  const stream = streamed.value.stream;
  if (stream === null) throw new Error('no stream figures');
  const min = Math.min(...stream.events);
  const max = Math.max(...stream.events);
  return {
    figures: [
      { label: `plain drain jobs/s (${jobs.toLocaleString('en-US')} jobs)`, value: plainRate },
      { label: `with ${SUBSCRIBERS} SSE subscribers jobs/s`, value: streamedRate },
      { label: 'throughput with subscribers (% of plain)', value: round((100 * streamedRate) / plainRate) },
      {
        label: 'delivery lag occurredAt → received p50 / p99 / max (ms)',
        value: `${stream.lagMs.p50} / ${stream.lagMs.p99} / ${stream.lagMs.max}`,
      },
      { label: 'events per subscriber (min / max)', value: `${min} / ${max}` },
      { label: 'subscribers cut off (resync)', value: stream.resyncs },
      {
        label: 'server CPU s during the drain plain / with subscribers; subscriber process CPU s',
        value: `${plain.value.drainCpuSeconds} / ${streamed.value.drainCpuSeconds}; ${stream.cpuSeconds}`,
      },
    ],
    details: {
      jobs,
      subscribers: SUBSCRIBERS,
      plainElapsedMs: Math.round(plain.value.drained.ms),
      streamedElapsedMs: Math.round(streamed.value.drained.ms),
      plainServerCpuSeconds: plain.serverCpuSeconds,
      plainDrainServerCpuSeconds: plain.value.drainCpuSeconds,
      streamedDrainServerCpuSeconds: streamed.value.drainCpuSeconds,
      subscriberCpuSeconds: stream.cpuSeconds,
      subscriberCpuSystemSeconds: stream.cpuSystemSeconds,
      chunksReceived: stream.chunks,
      bytesPerSubscriberEvent: round(stream.bytes / Math.max(1, stream.lagMs.count)),
      plainServerPeakRssMiB: plain.serverPeakRssMiB,
      lagMs: stream.lagMs,
      eventsPerSubscriber: stream.events,
    },
    settings: { ...drainSettings(ctx), subscribers: SUBSCRIBERS },
    serverPeakRssMiB: streamed.serverPeakRssMiB,
    serverCpuSeconds: streamed.serverCpuSeconds,
  };
}
