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
 * @param {{ url: string, tenant: string, subscribers: number, gzip: boolean }} settings
 * @param {string | undefined} cpuProfDir - profile the subscriber process there too (`--cpu-prof`)
 */
async function startSubscribers(settings, cpuProfDir) {
  const profile = cpuProfDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}/subscribers`];
  // At the lowest CPU priority: the subscribers stand for clients on other machines, and on a small box
  // they would otherwise take the CPU the server and PostgreSQL need (their lag then grows instead).
  const child = spawn(
    'chrt',
    ['--idle', '0', process.execPath, ...profile, SUBSCRIBER_SCRIPT, JSON.stringify(settings)],
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
 * A process that spins on one core at the lowest CPU priority (SCHED_IDLE) and talks to nobody: what the
 * mere presence of a busy client process costs the drain on this machine.
 */
function startBusyLoop() {
  const child = spawn('chrt', ['--idle', '0', process.execPath, '-e', 'for (;;) {}'], { stdio: 'ignore' });
  const forget = onInterrupt(async () => {
    child.kill('SIGKILL');
  });
  return {
    stop: async () => {
      child.kill('SIGKILL');
      await once(child, 'close');
      forget();
    },
  };
}

/**
 * One drain on a fresh server, with `subscribers` event streams attached (0: the plain drain), or with a
 * busy loop alongside.
 * @param {import('../harness.mjs').ScenarioContext} ctx
 * @param {number} jobs
 * @param {number} subscribers
 * @param {{ busyLoop?: boolean, gzip?: boolean }} [options]
 */
async function drainOnce(ctx, jobs, subscribers, options = {}) {
  const settings = drainSettings(ctx);
  return withServer(ctx, name, async ({ client, url, tenant, server }) => {
    await prequeue(client, jobs, { label: 'pre-queued' });
    const streams =
      subscribers === 0
        ? null
        : await startSubscribers({ url, tenant, subscribers, gzip: options.gzip === true }, ctx.cpuProfDir);
    const busyLoop = options.busyLoop === true ? startBusyLoop() : null;
    log(
      `  draining ${jobs} jobs with ${subscribers} subscribers${busyLoop === null ? '' : ' and a busy loop'}`,
    );
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
    await busyLoop?.stop();
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

/** Plain and streamed drains alternate this many times: one pair is too noisy on a small machine. */
const ROUNDS = 3;

/** @param {number[]} values */
function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/**
 * The subscribers' two kinds: reading the stream as it is, and asking for it compressed (as browsers,
 * curl --compressed and fetch do).
 */
const VARIANTS = [
  { key: 'identity', gzip: false, label: 'SSE subscribers', short: 'uncompressed' },
  { key: 'gzip', gzip: true, label: 'SSE subscribers asking for gzip', short: 'gzip' },
];

/**
 * @param {import('../harness.mjs').ScenarioContext} ctx
 * @returns {Promise<Omit<import('../harness.mjs').ScenarioResult, 'scenario' | 'engine' | 'wallSeconds'>>}
 */
export async function run(ctx) {
  const jobs = ctx.quick ? 10_000 : 100_000;
  const rounds = [];
  for (let r = 0; r < ROUNDS; r++) {
    const plain = await drainOnce(ctx, jobs, 0);
    const plainRate = perSecond(jobs, plain.value.drained.ms);
    /** @type {Record<string, { drain: any, stream: any, rate: number, share: number }>} */
    const streamed = {};
    for (const variant of VARIANTS) {
      const drain = await drainOnce(ctx, jobs, SUBSCRIBERS, { gzip: variant.gzip });
      const stream = drain.value.stream;
      if (stream === null) throw new Error('no stream figures');
      const rate = perSecond(jobs, drain.value.drained.ms);
      streamed[variant.key] = { drain, stream, rate, share: round((100 * rate) / plainRate) };
    }
    const busy = await drainOnce(ctx, jobs, 0, { busyLoop: true });
    const busyShare = round((100 * perSecond(jobs, busy.value.drained.ms)) / plainRate);
    log(
      `  round ${r + 1}: plain ${plainRate} jobs/s; ` +
        VARIANTS.map((v) => `${v.key} ${streamed[v.key]?.rate} jobs/s (${streamed[v.key]?.share} %)`).join(
          '; ',
        ) +
        `; beside a busy loop ${busyShare} %`,
    );
    rounds.push({ plain, plainRate, streamed, busyShare });
  }
  const of = (/** @type {string} */ key) => rounds.map((one) => /** @type {any} */ (one.streamed[key]));
  const variantFigures = VARIANTS.flatMap((variant) => {
    const runs = of(variant.key);
    const worst = runs.reduce((a, b) => (b.stream.lagMs.p99 > a.stream.lagMs.p99 ? b : a));
    const events = runs.flatMap((one) => one.stream.events);
    return [
      {
        label: `with ${SUBSCRIBERS} ${variant.label}: jobs/s (median)`,
        value: median(runs.map((one) => one.rate)),
      },
      {
        label: `${variant.short}: % of plain (median round, and each round)`,
        value: `${median(runs.map((one) => one.share))} (${runs.map((one) => one.share).join(', ')})`,
      },
      {
        label: `${variant.short}: delivery lag occurredAt → received p50 / p99 / max (ms), round with the worst p99`,
        value: `${worst.stream.lagMs.p50} / ${worst.stream.lagMs.p99} / ${worst.stream.lagMs.max}`,
      },
      {
        label: `${variant.short}: bytes received per event; events per subscriber (min / max); cut off (resync)`,
        value:
          `${round(worst.stream.bytes / Math.max(1, worst.stream.lagMs.count))}; ` +
          `${Math.min(...events)} / ${Math.max(...events)}; ` +
          `${runs.reduce((sum, one) => sum + one.stream.resyncs, 0)}`,
      },
      {
        label: `${variant.short}: server CPU s during the drain (plain → with subscribers); subscriber process CPU s (medians)`,
        value:
          `${median(rounds.map((one) => one.plain.value.drainCpuSeconds))} → ` +
          `${median(runs.map((one) => one.drain.value.drainCpuSeconds))}; ` +
          `${median(runs.map((one) => one.stream.cpuSeconds))}`,
      },
    ];
  });
  return {
    figures: [
      {
        label: `plain drain jobs/s (${jobs.toLocaleString('en-US')} jobs, median of ${ROUNDS} rounds)`,
        value: median(rounds.map((one) => one.plainRate)),
      },
      ...variantFigures,
      {
        label: "plain drain beside an idle-priority busy loop (% of plain, median): the machine's floor",
        value: `${median(rounds.map((one) => one.busyShare))} (${rounds.map((one) => one.busyShare).join(', ')})`,
      },
    ],
    details: {
      jobs,
      subscribers: SUBSCRIBERS,
      rounds: rounds.map((one) => ({
        plainElapsedMs: Math.round(one.plain.value.drained.ms),
        plainDrainServerCpuSeconds: one.plain.value.drainCpuSeconds,
        busyLoopSharePercent: one.busyShare,
        ...Object.fromEntries(
          VARIANTS.map((variant) => {
            const v = /** @type {any} */ (one.streamed[variant.key]);
            return [
              variant.key,
              {
                elapsedMs: Math.round(v.drain.value.drained.ms),
                sharePercent: v.share,
                drainServerCpuSeconds: v.drain.value.drainCpuSeconds,
                subscriberCpuSeconds: v.stream.cpuSeconds,
                subscriberCpuSystemSeconds: v.stream.cpuSystemSeconds,
                chunksReceived: v.stream.chunks,
                bytesPerSubscriberEvent: round(v.stream.bytes / Math.max(1, v.stream.lagMs.count)),
                lagMs: v.stream.lagMs,
              },
            ];
          }),
        ),
      })),
      plainServerPeakRssMiB: Math.max(...rounds.map((one) => one.plain.serverPeakRssMiB ?? 0)),
    },
    settings: { ...drainSettings(ctx), subscribers: SUBSCRIBERS, rounds: ROUNDS },
    serverPeakRssMiB: Math.max(...of('identity').map((one) => one.drain.serverPeakRssMiB ?? 0)),
    serverCpuSeconds: median(of('identity').map((one) => one.drain.serverCpuSeconds ?? Number.NaN)),
  };
}
