// The event-stream subscribers of the `drain-streams` scenario, in a process of their own: N SSE
// connections to `GET /api/v1/orchestrator/events` (new events only), each parsing every event and
// recording its delivery lag, `receive time − occurredAt` (both the machine's clock: the ledger's now()
// and Date.now()).
//
//   node bench/stream-subscriber-process.mjs '{"url", "tenant", "subscribers"}'
//
// Lines written (JSON): { t: 'ready' } once every stream answered `subscribed`;
// { t: 'counts', events: [per subscriber] } after `counts` on stdin;
// { t: 'stopped', events: [per subscriber], resyncs, cpuSeconds, lagMs: { p50, p99, max, count } } after
// `stop` on stdin.
import { createInterface } from 'node:readline';
import { BENCH_CLIENT } from './util.mjs';

const settings = JSON.parse(process.argv[2] ?? '{}');
/** Lag histogram: 1 ms buckets up to 120 s (the last bucket takes the rest). */
const BUCKETS = 120_001;
const histogram = new Float64Array(BUCKETS);
let lagCount = 0;
let lagMax = 0;
let resyncs = 0;

/** @param {object} message */
function emit(message) {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

async function token() {
  const res = await fetch(`${settings.url}/connect/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: BENCH_CLIENT.clientId,
      client_secret: BENCH_CLIENT.clientSecret,
      scope: 'orch:read',
      tenant: settings.tenant,
    }),
  });
  if (!res.ok) throw new Error(`token: ${res.status} ${await res.text()}`);
  return /** @type {{ access_token: string }} */ (await res.json()).access_token;
}

/** @param {number} lag */
function record(lag) {
  const ms = Math.max(0, Math.round(lag));
  histogram[Math.min(ms, BUCKETS - 1)] += 1;
  lagCount++;
  if (lag > lagMax) lagMax = lag;
}

/** @param {number} q */
function quantile(q) {
  const rank = Math.ceil(q * lagCount);
  let seen = 0;
  for (let ms = 0; ms < BUCKETS; ms++) {
    seen += histogram[ms];
    if (seen >= rank) return ms;
  }
  return Number.NaN;
}

/**
 * One subscriber: counts its events, records their lag.
 * @param {string} bearer
 * @param {() => void} onSubscribed
 * @param {AbortSignal} signal
 */
async function subscribe(bearer, onSubscribed, signal) {
  const state = { events: 0 };
  const res = await fetch(`${settings.url}/api/v1/orchestrator/events`, {
    headers: { authorization: `Bearer ${bearer}`, accept: 'text/event-stream' },
    signal,
  });
  if (!res.ok || res.body === null) throw new Error(`stream: ${res.status}`);
  const decoder = new TextDecoder();
  let buffer = '';
  const done = (async () => {
    try {
      for await (const chunk of res.body) {
        const now = Date.now();
        buffer += decoder.decode(chunk, { stream: true });
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf('\n\n');
          if (block.startsWith('id: ')) {
            const type = block.slice(
              block.indexOf('event: ') + 7,
              block.indexOf('\n', block.indexOf('event: ')),
            );
            if (type === 'subscribed') onSubscribed();
            else if (type === 'resync') resyncs++;
            else {
              state.events++;
              const at = block.indexOf('"occurredAt":"') + 14;
              record(now - Date.parse(block.slice(at, block.indexOf('"', at))));
            }
          }
        }
      }
    } catch (error) {
      if (!signal.aborted) throw error;
    }
  })();
  return { state, done };
}

const bearer = await token();
const controller = new AbortController();
let subscribed = 0;
const streams = await Promise.all(
  Array.from({ length: settings.subscribers }, () =>
    subscribe(
      bearer,
      () => {
        if (++subscribed === settings.subscribers) emit({ t: 'ready' });
      },
      controller.signal,
    ),
  ),
);
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === 'counts') emit({ t: 'counts', events: streams.map((s) => s.state.events) });
  if (line.trim() !== 'stop') return;
  controller.abort();
  emit({
    t: 'stopped',
    events: streams.map((s) => s.state.events),
    resyncs,
    cpuSeconds: Math.round((process.cpuUsage().user + process.cpuUsage().system) / 1e4) / 100,
    lagMs: { p50: quantile(0.5), p99: quantile(0.99), max: Math.round(lagMax), count: lagCount },
  });
  process.exit(0);
});
