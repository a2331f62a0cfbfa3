// The event-stream subscribers of the `drain-streams` scenario, in a process of their own: N SSE
// connections to `GET /api/v1/orchestrator/events` (new events only), each counting every event and
// recording its delivery lag, `receive time − occurredAt` (both the machine's clock: the ledger's now()
// and Date.now()).
//
// The subscribers share the machine's two cores with the server they measure, and their work is what a
// real deployment does on other machines, so they do as little as a subscriber can: the bytes are
// read as they arrive on a plain TCP socket (lines found with Buffer.indexOf, native), never parsed as
// HTTP nor decoded into strings; of each event only the 24 characters of `occurredAt` are read (and
// parsed once per transaction). The process's CPU time is reported.
//
// With `gzip`, the streams ask for `Accept-Encoding: gzip` (as browsers and fetch do) and are read as a
// client must read them: an HTTP response (node:http) decoded by a gunzip stream, whose output is read
// as lines as above; `bytes` are then the compressed bytes received.
//
//   node bench/stream-subscriber-process.mjs '{"url", "tenant", "subscribers", "gzip"}'
//
// Lines written (JSON): { t: 'ready' } once every stream answered `subscribed`;
// { t: 'counts', events: [per subscriber] } after `counts` on stdin;
// { t: 'stopped', events: [per subscriber], resyncs, bytes, chunks, cpuSeconds, cpuSystemSeconds,
// lagMs: { p50, p99, max, count } } after `stop` on stdin.
import { get } from 'node:http';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { constants, createGunzip } from 'node:zlib';
import { BENCH_CLIENT } from './util.mjs';

const settings = JSON.parse(process.argv[2] ?? '{}');
/** Lag histogram: 1 ms buckets up to 120 s (the last bucket takes the rest). */
const BUCKETS = 120_001;
const histogram = new Float64Array(BUCKETS);
let lagCount = 0;
let lagMax = 0;
let resyncs = 0;
let bytes = 0;
let chunks = 0;

const NEWLINE = 0x0a;
const EVENT = Buffer.from('event: ');
const DATA = Buffer.from('data: ');
const OCCURRED_AT = Buffer.from('"occurredAt":"');
const SUBSCRIBED = 's'.charCodeAt(0);
const RESYNC = 'r'.charCodeAt(0);
let stopping = false;
/** `2026-01-01T00:00:00.000Z`. */
const ISO_LENGTH = 24;

/**
 * Whether `buffer` holds `prefix` at `start` (byte by byte: cheaper than a native call for a few bytes).
 * @param {Buffer} buffer @param {number} start @param {Buffer} prefix
 */
function startsWith(buffer, start, prefix) {
  for (let i = 0; i < prefix.length; i++) if (buffer[start + i] !== prefix[i]) return false;
  return true;
}

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
 * One subscriber: counts its events, records their lag. The request is written on a plain TCP socket and
 * the answer is read as lines of bytes (a newline is found with memchr): an `event: ` line names the
 * message's type (`subscribed` and `resync` start with `s` and `r`, event types do not), and in the
 * `data: ` line of an event `"occurredAt":"` comes within its first hundred bytes. Other lines (`id:`,
 * comments, HTTP headers, the chunked transfer framing between two writes) are skipped. Only a line cut
 * by a read boundary is copied.
 * @param {string} bearer
 * @param {() => void} onSubscribed
 */
function subscribe(bearer, onSubscribed) {
  const state = { events: 0 };
  const url = new URL(`${settings.url}/api/v1/orchestrator/events`);
  /** The start of a line not complete yet. */
  let tail = Buffer.alloc(0);
  /** The `occurredAt` bytes parsed last, and their value: the events of one transaction share them. */
  const lastIso = Buffer.alloc(ISO_LENGTH);
  let lastMs = Number.NaN;
  /** Whether the message whose lines are being read is an event. */
  let inEvent = false;
  let now = 0;
  /** One complete line, `buffer[start … end]` (the newline excluded), recognised by its bytes. */
  const line = (/** @type {Buffer} */ buffer, /** @type {number} */ start, /** @type {number} */ end) => {
    if (end - start > EVENT.length && startsWith(buffer, start, EVENT)) {
      const kind = buffer[start + EVENT.length];
      inEvent = kind !== SUBSCRIBED && kind !== RESYNC;
      if (kind === SUBSCRIBED) onSubscribed();
      else if (kind === RESYNC) resyncs++;
      return;
    }
    if (!inEvent || !startsWith(buffer, start, DATA)) return;
    inEvent = false;
    const at = buffer.indexOf(OCCURRED_AT, start);
    const from = at + OCCURRED_AT.length;
    if (at < 0 || from + ISO_LENGTH > end) throw new Error('an event without occurredAt');
    if (lastIso.compare(buffer, from, from + ISO_LENGTH) !== 0) {
      buffer.copy(lastIso, 0, from, from + ISO_LENGTH);
      lastMs = Date.parse(lastIso.toString('latin1'));
    }
    state.events++;
    record(now - lastMs);
  };
  /** Reads the lines of `read`, the next bytes of the SSE body (HTTP head and framing too, uncompressed). */
  const lines = (/** @type {Buffer} */ read) => {
    let start = 0;
    let newline = read.indexOf(NEWLINE);
    if (tail.length > 0) {
      if (newline < 0) {
        tail = Buffer.concat([tail, read]);
        return;
      }
      const joined = Buffer.concat([tail, read.subarray(0, newline)]);
      line(joined, 0, joined.length);
      start = newline + 1;
      newline = read.indexOf(NEWLINE, start);
    }
    while (newline >= 0) {
      line(read, start, newline);
      start = newline + 1;
      newline = read.indexOf(NEWLINE, start);
    }
    tail = start < read.length ? Buffer.from(read.subarray(start)) : Buffer.alloc(0);
  };
  const failed = (/** @type {Error} */ error) => {
    if (!stopping) throw error;
  };
  if (settings.gzip === true) {
    const request = get(
      url,
      {
        headers: {
          authorization: `Bearer ${bearer}`,
          accept: 'text/event-stream',
          'accept-encoding': 'gzip',
        },
      },
      (response) => {
        if (response.headers['content-encoding'] !== 'gzip') throw new Error('the stream is not compressed');
        const gunzip = createGunzip({ flush: constants.Z_SYNC_FLUSH });
        response.on('data', (/** @type {Buffer} */ read) => {
          bytes += read.length;
          chunks++;
          gunzip.write(read);
        });
        gunzip.on('data', (/** @type {Buffer} */ read) => {
          now = Date.now();
          lines(read);
        });
        gunzip.on('error', failed);
      },
    );
    request.on('error', failed);
    return { state, close: () => request.destroy() };
  }
  const socket = connect({ host: url.hostname, port: Number(url.port), noDelay: true });
  socket.write(
    `GET ${url.pathname} HTTP/1.1\r\nhost: ${url.host}\r\nauthorization: Bearer ${bearer}\r\n` +
      'accept: text/event-stream\r\n\r\n',
  );
  socket.on('data', (/** @type {Buffer} */ read) => {
    now = Date.now();
    bytes += read.length;
    chunks++;
    lines(read);
  });
  socket.on('error', failed);
  return { state, close: () => socket.destroy() };
}

const bearer = await token();
let subscribed = 0;
const streams = Array.from({ length: settings.subscribers }, () =>
  subscribe(bearer, () => {
    if (++subscribed === settings.subscribers) emit({ t: 'ready' });
  }),
);
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === 'counts') emit({ t: 'counts', events: streams.map((s) => s.state.events) });
  if (line.trim() !== 'stop') return;
  const usage = process.cpuUsage();
  emit({
    t: 'stopped',
    events: streams.map((s) => s.state.events),
    resyncs,
    bytes,
    chunks,
    cpuSeconds: Math.round((usage.user + usage.system) / 1e4) / 100,
    cpuSystemSeconds: Math.round(usage.system / 1e4) / 100,
    lagMs: { p50: quantile(0.5), p99: quantile(0.99), max: Math.round(lagMax), count: lagCount },
  });
  stopping = true;
  for (const stream of streams) stream.close();
  process.exit(0);
});
