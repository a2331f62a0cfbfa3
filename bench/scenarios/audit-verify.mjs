// Scenario 6: `GET /audit/verify` of a tenant chain of 100,000 operator audit entries, loaded straight into
// the ledger before the server starts.
import { randomUUID } from 'node:crypto';
import { OrchestratorClient } from '@stella-orch/client';
import { computeAuditHash, GENESIS_PREV_HASH } from '@stella-orch/core';
import { openLedger } from '@stella-orch/store-postgres';
import { withServer } from '../harness.mjs';
import { BENCH_CLIENT, fmt, log, nowMs, perSecond, round } from '../util.mjs';

export const name = 'audit-verify';
export const title = 'GET /audit/verify of a 100,000-entry audit chain';

/** Timed verifications of the chain as loaded (then one more after a checkpoint). */
const CALLS = 3;
/** Entries per INSERT statement of the load (17 parameters each: 17,000 of PostgreSQL's 65,535). */
const ROWS_PER_INSERT = 1_000;
/** The columns of orch.audit_entries and their casts, as the ledger's own append has them (JSON as text). */
const COLUMNS = [
  ['tenant_id', ''],
  ['sequence', '::bigint'],
  ['audit_id', '::uuid'],
  ['occurred_at', '::timestamptz'],
  ['actor', '::text::jsonb'],
  ['action', ''],
  ['resource_type', ''],
  ['resource_id', ''],
  ['before', '::text::jsonb'],
  ['after', '::text::jsonb'],
  ['reason', ''],
  ['ticket', ''],
  ['request_reason', ''],
  ['request_ticket', ''],
  ['correlation_id', ''],
  ['prev_hash', ''],
  ['hash', ''],
];

/**
 * @param {import('../harness.mjs').ScenarioContext} ctx
 * @returns {Promise<Omit<import('../harness.mjs').ScenarioResult, 'scenario' | 'engine' | 'wallSeconds'>>}
 */
export async function run(ctx) {
  const entries = ctx.quick ? 10_000 : 100_000;
  /** @type {{ buildMs: number, insertMs: number, vacuumMs: number, lastHash: string } | undefined} */
  let loaded;
  const { value, serverPeakRssMiB, serverCpuSeconds } = await withServer(
    ctx,
    name,
    async ({ client, url, tenant, server }) => {
      // Untimed: the client's first call gets its token, and the Authority records every token grant in the
      // tenant's chain: entry N + 1 is that `token.grant`, appended by the server on top of the loaded chain.
      const newest = await client.listAuditEntries({ pageSize: 2 });
      const grant = newest.items[0];
      if (
        grant?.sequence !== entries + 1 ||
        grant.action !== 'token.grant' ||
        newest.items[1]?.hash !== loaded?.lastHash
      ) {
        throw new Error(`the newest entries are not the loaded chain and one token grant`);
      }
      /** @type {{ ms: number, serverCpuSeconds: number }[]} */
      const calls = [];
      for (let i = 0; i < CALLS; i++) {
        calls.push(await timedVerify(client, server, { checked: entries + 1, headHash: grant.hash }));
      }
      // One more after a signed checkpoint: the admin client's token grant and the checkpoint's own
      // `audit.checkpoint` entry make N + 3 entries; the verification then also checks the checkpoint's
      // signature and that it names the head.
      const admin = new OrchestratorClient({
        baseUrl: url,
        tenant,
        timeoutMs: 120_000,
        credentials: {
          ...BENCH_CLIENT,
          scopes: ['orch:admin'],
          operatorReason: 'benchmark: verify with a checkpoint',
          operatorTicket: 'BENCH-1',
        },
      });
      const checkpoint = await admin.createAuditCheckpoint();
      if (checkpoint.sequence !== entries + 3)
        throw new Error(`the checkpoint signed sequence ${checkpoint.sequence}, not ${entries + 3}`);
      const withCheckpoint = await timedVerify(client, server, {
        checked: entries + 3,
        headHash: checkpoint.headHash,
        checkpointSequence: checkpoint.sequence,
      });
      return { calls, withCheckpoint };
    },
    {
      // The bench client may also sign checkpoints (orch:admin); no periodic checkpoint during the run.
      config: {
        authority: {
          bootstrapClients: false,
          clients: [
            {
              ...BENCH_CLIENT,
              scopes: ['orch:read', 'orch:submit', 'orch:worker', 'orch:admin'],
              tenants: ['*'],
            },
          ],
          rateLimit: { requestsPerSecond: 1_000_000, burst: 1_000_000 },
        },
        audit: { checkpointIntervalMs: 0 },
      },
      beforeStart: async ({ tenant, engine }) => {
        loaded = await loadChain(engine, tenant, entries);
      },
    },
  );
  const load = /** @type {NonNullable<typeof loaded>} */ (loaded);
  const checked = entries + 1;
  const sorted = value.calls.map((c) => c.ms).sort((a, b) => a - b);
  const minMs = sorted[0];
  const medianMs = sorted[Math.floor(sorted.length / 2)];
  const cpu = value.calls.map((c) => c.serverCpuSeconds).sort((a, b) => a - b);
  log(
    `  ${CALLS} verifications of ${fmt(checked)} entries: ${value.calls.map((c) => fmt(c.ms)).join(' / ')} ms; ` +
      `with a checkpoint ${fmt(value.withCheckpoint.ms)} ms`,
  );
  return {
    figures: [
      { label: 'entries checked (loaded + 1 token grant)', value: checked },
      { label: 'entries/s (median call)', value: perSecond(checked, medianMs) },
      { label: 'verify wall time min / median (ms)', value: `${fmt(minMs)} / ${fmt(medianMs)}` },
      {
        label: `verify wall time, each of ${CALLS} calls (ms)`,
        value: value.calls.map((c) => fmt(c.ms)).join(' / '),
      },
      { label: 'server CPU per call, median (s)', value: fmt(cpu[Math.floor(cpu.length / 2)], 2) },
      { label: 'verify after a checkpoint (ms)', value: round(value.withCheckpoint.ms) },
      { label: 'answer', value: `ok: true, checked ${fmt(checked)}` },
    ],
    details: {
      entriesLoaded: entries,
      entriesChecked: checked,
      load: {
        buildMs: round(load.buildMs),
        insertMs: round(load.insertMs),
        vacuumAnalyzeMs: round(load.vacuumMs),
        rowsPerInsert: ROWS_PER_INSERT,
      },
      calls: value.calls.map((c) => ({ ms: round(c.ms, 1), serverCpuSeconds: c.serverCpuSeconds })),
      entriesPerSecond: {
        slowest: perSecond(checked, sorted[sorted.length - 1]),
        median: perSecond(checked, medianMs),
        fastest: perSecond(checked, minMs),
      },
      withCheckpoint: {
        entriesChecked: entries + 3,
        ms: round(value.withCheckpoint.ms, 1),
        serverCpuSeconds: value.withCheckpoint.serverCpuSeconds,
      },
    },
    settings: { entries, calls: CALLS, rowsPerInsert: ROWS_PER_INSERT, checkpointIntervalMs: 0 },
    serverPeakRssMiB,
    serverCpuSeconds,
  };
}

/**
 * One `GET /audit/verify`, timed, and its answer checked.
 * @param {OrchestratorClient} client
 * @param {import('../server-process.mjs').ServerProcess} server
 * @param {{ checked: number, headHash: string, checkpointSequence?: number }} expected
 * @returns {Promise<{ ms: number, serverCpuSeconds: number }>}
 */
async function timedVerify(client, server, expected) {
  const cpuBefore = server.cpuSeconds() ?? Number.NaN;
  const t0 = nowMs();
  const answer = await client.verifyAudit();
  const ms = nowMs() - t0;
  const serverCpuSeconds = round((server.cpuSeconds() ?? Number.NaN) - cpuBefore, 2);
  if (
    !answer.ok ||
    answer.checked !== expected.checked ||
    answer.lastSequence !== expected.checked ||
    answer.headHash !== expected.headHash ||
    answer.checkpoint?.sequence !== expected.checkpointSequence
  ) {
    throw new Error(
      `GET /audit/verify answered ${JSON.stringify(answer)}, expected ${JSON.stringify(expected)}`,
    );
  }
  return { ms, serverCpuSeconds };
}

/**
 * Builds a tenant's chain of `count` job.cancel-like entries in JavaScript (hashes by the core's
 * `computeAuditHash`) and writes it, with the head row at its final sequence and hash, into the fresh ledger
 * in one transaction; then `VACUUM (ANALYZE)` of the entries, as autovacuum would have left an older table.
 * The ledger is opened (and migrated) from this process through `openLedger`, the same code the server
 * uses, before the server starts: for PGlite the server process then holds the data directory.
 * @param {import('../engines.mjs').EngineInstance} engine
 * @param {string} tenantId
 * @param {number} count
 * @returns {Promise<{ buildMs: number, insertMs: number, vacuumMs: number, lastHash: string }>}
 */
async function loadChain(engine, tenantId, count) {
  const t0 = nowMs();
  const rows = buildChain(tenantId, count);
  const lastHash = /** @type {string} */ (rows[rows.length - 1]?.[16] ?? GENESIS_PREV_HASH);
  const buildMs = nowMs() - t0;
  const ledger = await openLedger(
    engine.databaseUrl === undefined ? { dataDir: engine.dataDir } : { databaseUrl: engine.databaseUrl },
  );
  try {
    const t1 = nowMs();
    await ledger.driver.transaction(async (tx) => {
      for (let from = 0; from < rows.length; from += ROWS_PER_INSERT) {
        const chunk = rows.slice(from, from + ROWS_PER_INSERT);
        await tx.query(insertStatement(chunk.length), chunk.flat());
      }
      // No trigger guards an INSERT of a head row; only an UPDATE must advance by one.
      await tx.query(
        'INSERT INTO orch.audit_heads (tenant_id, last_sequence, last_hash) VALUES ($1, $2::bigint, $3)',
        [tenantId, count, lastHash],
      );
    });
    const insertMs = nowMs() - t1;
    const t2 = nowMs();
    await ledger.driver.query('VACUUM (ANALYZE) orch.audit_entries');
    const vacuumMs = nowMs() - t2;
    log(
      `  built ${fmt(count)} entries in ${fmt(buildMs / 1000, 1)} s, inserted in ${fmt(insertMs / 1000, 1)} s, ` +
        `VACUUM (ANALYZE) ${fmt(vacuumMs / 1000, 1)} s`,
    );
    return { buildMs, insertMs, vacuumMs, lastHash };
  } finally {
    await ledger.store.close();
  }
}

/**
 * The chain as rows of {@link COLUMNS}: a job.cancel by one of 20 operators every 1–3 s, alternately of a
 * pending job (canceled at once) and of a running one (flagged `cancelRequested`), with the operator's
 * reason and ticket from the token, no request-level reason or ticket.
 * @param {string} tenantId
 * @param {number} count
 * @returns {unknown[][]}
 */
function buildChain(tenantId, count) {
  /** @type {unknown[][]} */
  const rows = [];
  let prevHash = GENESIS_PREV_HASH;
  let at = Date.parse('2025-01-06T08:00:00.000Z');
  for (let sequence = 1; sequence <= count; sequence++) {
    at += 1_000 + Math.floor(Math.random() * 2_000);
    const running = sequence % 2 === 0;
    const attempt = running ? 1 + (sequence % 3) : 0;
    const entry = {
      auditId: randomUUID(),
      tenantId,
      sequence,
      occurredAt: new Date(at).toISOString(),
      actor: {
        subject: `operator-${sequence % 20}@example.com`,
        clientId: 'ops-console',
        scopes: ['orch:read', 'orch:operate'],
      },
      action: 'job.cancel',
      resourceType: 'job',
      resourceId: randomUUID(),
      before: { status: running ? 'running' : 'pending', attempt, cancelRequested: false },
      after: { status: running ? 'running' : 'canceled', attempt, cancelRequested: running },
      reason: 'customer withdrew the export request',
      ticket: `OPS-${10_000 + (sequence % 5_000)}`,
      correlationId: randomUUID(),
      prevHash,
    };
    const hash = computeAuditHash(entry);
    rows.push([
      tenantId,
      sequence,
      entry.auditId,
      entry.occurredAt,
      JSON.stringify(entry.actor),
      entry.action,
      entry.resourceType,
      entry.resourceId,
      JSON.stringify(entry.before),
      JSON.stringify(entry.after),
      entry.reason,
      entry.ticket,
      null,
      null,
      entry.correlationId,
      prevHash,
      hash,
    ]);
    prevHash = hash;
  }
  return rows;
}

/**
 * `INSERT INTO orch.audit_entries (…) VALUES (…), (…) …` of `rowCount` rows.
 * @param {number} rowCount
 * @returns {string}
 */
function insertStatement(rowCount) {
  const values = Array.from(
    { length: rowCount },
    (_, r) => `(${COLUMNS.map(([, cast], c) => `$${r * COLUMNS.length + c + 1}${cast}`).join(', ')})`,
  );
  return `INSERT INTO orch.audit_entries (${COLUMNS.map(([column]) => column).join(', ')}) VALUES ${values.join(', ')}`;
}
