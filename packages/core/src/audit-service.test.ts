import { describe, expect, it } from 'vitest';
import { GENESIS_PREV_HASH, sealAuditEntry, type AuditEntry, type AuditRecord } from './audit-entry.js';
import type { AuditArchiveManifest, AuditCheckpoint, AuditSigner } from './audit-checkpoint.js';
import { checkpointSigningInput, manifestSigningInput } from './audit-checkpoint.js';
import type { AuditHead } from './audit-chain.js';
import { auditNdjsonLine } from './audit-export.js';
import { AuditService } from './audit-service.js';
import type { AuditTrail, ListAuditEntriesQuery, TenantAuditTrail } from './audit-trail.js';
import { sha256Digest } from './canonical-json.js';
import { isOrchestratorError, validationError } from './errors.js';
import type { Clock, Ids } from './ports.js';
import type { RequestContext } from './request-context.js';

const CTX: RequestContext = {
  tenantId: 't1',
  actor: { subject: 'auditor', clientId: 'console', scopes: ['orch:admin'] },
  correlationId: 'corr',
  operator: { reason: 'quarterly audit', ticket: 'AUD-7' },
};

const DAY_MS = 86_400_000;
const T0 = Date.UTC(2030, 0, 1);

/** A signer whose "signature" is a digest of the key id and the input: enough to tell forged from genuine. */
function fakeSigner(keyId = 'k1'): AuditSigner & { signed: string[] } {
  const signed: string[] = [];
  return {
    signed,
    sign: (input) => {
      const text = input(keyId);
      signed.push(text);
      return Promise.resolve({ keyId, signature: sha256Digest(`${keyId}|${text}`) });
    },
    verify: (input, id, signature) => Promise.resolve(signature === sha256Digest(`${id}|${input}`)),
  };
}

/** A clock the test moves. */
function fakeClock(nowMs = T0): Clock & { nowMs(): number; set(ms: number): void } {
  let now = nowMs;
  return { nowMs: () => now, set: (ms) => (now = ms) };
}

function fakeIds(): Ids {
  let n = 0;
  return {
    uuid: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
    random: () => 0.5,
  };
}

interface TenantState {
  entries: AuditEntry[];
  head: AuditHead | null;
  checkpoints: AuditCheckpoint[];
  archives: AuditArchiveManifest[];
}

/**
 * An in-memory audit trail: appends with the time `entryTimeMs()` gives, keeps checkpoints (one per
 * sequence) and archives (removing what they cover), and counts the pages it was asked for.
 */
function fakeTrail(entryTimeMs: () => number = () => T0) {
  const tenants = new Map<string, TenantState>();
  const asked: string[] = [];
  const queries: ListAuditEntriesQuery[] = [];
  const reads: { fromSequence: number; limit: number }[] = [];
  const state = (tenantId: string): TenantState => {
    let s = tenants.get(tenantId);
    if (s === undefined) {
      s = { entries: [], head: null, checkpoints: [], archives: [] };
      tenants.set(tenantId, s);
    }
    return s;
  };
  const trail: AuditTrail = {
    forTenant(tenantId): TenantAuditTrail {
      asked.push(tenantId);
      const s = state(tenantId);
      return {
        tenantId,
        appendAuditEntry: (record: AuditRecord) => {
          const sequence = (s.head?.lastSequence ?? 0) + 1;
          const entry = sealAuditEntry({
            ...record,
            auditId: `00000000-0000-4000-9000-${String(sequence).padStart(12, '0')}`,
            tenantId,
            sequence,
            occurredAt: new Date(entryTimeMs()).toISOString(),
            prevHash: s.head?.lastHash ?? GENESIS_PREV_HASH,
          });
          s.entries.push(entry);
          s.head = { lastSequence: sequence, lastHash: entry.hash };
          return Promise.resolve(entry);
        },
        listAuditEntries: (query) => {
          queries.push(query);
          return Promise.resolve({ items: [...s.entries].reverse(), nextPageToken: null });
        },
        getAuditEntry: (auditId) => Promise.resolve(s.entries.find((e) => e.auditId === auditId) ?? null),
        readAuditChain: (params) => {
          reads.push(params);
          return Promise.resolve(
            s.entries.filter((e) => e.sequence >= params.fromSequence).slice(0, params.limit),
          );
        },
        getAuditHead: () => Promise.resolve(s.head),
        appendAuditCheckpoint: (checkpoint) => {
          const kept = s.checkpoints.find((c) => c.sequence === checkpoint.sequence);
          if (kept !== undefined) return Promise.resolve(kept);
          s.checkpoints.push(checkpoint);
          s.checkpoints.sort((a, b) => a.sequence - b.sequence);
          return Promise.resolve(checkpoint);
        },
        getLatestAuditCheckpoint: () => Promise.resolve(s.checkpoints.at(-1) ?? null),
        recordAuditArchive: (manifest) => {
          const expected = (s.archives.at(-1)?.throughSequence ?? 0) + 1;
          if (manifest.firstSequence !== expected) {
            return Promise.reject(
              validationError([{ path: 'firstSequence', message: `must be ${expected}` }]),
            );
          }
          s.archives.push(manifest);
          const before = s.entries.length;
          s.entries = s.entries.filter((e) => e.sequence > manifest.throughSequence);
          return Promise.resolve(before - s.entries.length);
        },
        getLatestAuditArchive: () => Promise.resolve(s.archives.at(-1) ?? null),
      };
    },
  };
  return { trail, tenants: asked, queries, reads, state };
}

/** A service on fresh fakes, and the fakes. */
function setup(
  options: { verifyPageSize?: number; exportPageSize?: number; entryTimeMs?: () => number } = {},
) {
  const fakes = fakeTrail(options.entryTimeMs);
  const signer = fakeSigner();
  const clock = fakeClock();
  const service = new AuditService(
    { trail: fakes.trail, signer, clock, ids: fakeIds() },
    {
      ...(options.verifyPageSize === undefined ? {} : { verifyPageSize: options.verifyPageSize }),
      ...(options.exportPageSize === undefined ? {} : { exportPageSize: options.exportPageSize }),
    },
  );
  return { ...fakes, signer, clock, service };
}

/** Appends `count` job.cancel entries to a tenant of the fake trail. */
async function append(trail: AuditTrail, count: number, tenantId = 't1'): Promise<AuditEntry[]> {
  const appended: AuditEntry[] = [];
  for (let i = 0; i < count; i++) {
    appended.push(
      await trail.forTenant(tenantId).appendAuditEntry({
        actor: CTX.actor,
        action: 'job.cancel',
        resourceType: 'job',
        resourceId: `j${i}`,
        correlationId: `c${i}`,
      }),
    );
  }
  return appended;
}

async function codeOf(promise: Promise<unknown>) {
  return promise.then(
    () => 'resolved',
    (e: unknown) => (isOrchestratorError(e) ? e.code : e),
  );
}

async function fieldErrorsOf(promise: Promise<unknown>) {
  return promise.then(
    () => [],
    (e: unknown) => (isOrchestratorError(e, 'VALIDATION_FAILED') ? e.details?.['errors'] : e),
  );
}

/** The chunks of an export. */
async function collect(exported: Promise<{ lines: AsyncIterable<string> }>): Promise<string[]> {
  const chunks: string[] = [];
  for await (const chunk of (await exported).lines) chunks.push(chunk);
  return chunks;
}

describe('AuditService queries', () => {
  it('lists in the caller’s tenant, passing the filters on', async () => {
    const { service, trail, tenants, queries } = setup();
    const [entry] = await append(trail, 1);
    tenants.length = 0;
    const query = { pageSize: 10, ticket: 'OPS-1', occurredAfter: '2030-01-01T00:00:00.000Z' };
    expect(await service.listAuditEntries(CTX, query)).toEqual({ items: [entry], nextPageToken: null });
    expect(tenants).toEqual(['t1']);
    expect(queries).toEqual([query]);
  });

  it('refuses a page size out of range and a time window that ends before it starts', async () => {
    const { service } = setup();
    for (const pageSize of [0, 501, 1.5]) {
      expect(await codeOf(service.listAuditEntries(CTX, { pageSize }))).toBe('VALIDATION_FAILED');
    }
    const t = '2030-01-01T00:00:00.000Z';
    expect(
      await codeOf(service.listAuditEntries(CTX, { pageSize: 5, occurredAfter: t, occurredBefore: t })),
    ).toBe('VALIDATION_FAILED');
  });

  it('gets an entry of the caller’s tenant; anything else is AUDIT_ENTRY_NOT_FOUND', async () => {
    const { service, trail } = setup();
    const [entry] = await append(trail, 1);
    expect(await service.getAuditEntry(CTX, entry!.auditId)).toEqual(entry);
    expect(await codeOf(service.getAuditEntry({ ...CTX, tenantId: 't2' }, entry!.auditId))).toBe(
      'AUDIT_ENTRY_NOT_FOUND',
    );
    expect(await codeOf(service.getAuditEntry(CTX, 'nope'))).toBe('AUDIT_ENTRY_NOT_FOUND');
  });
});

describe('AuditService checkpoints', () => {
  it('records an operator’s checkpoint as an entry, then signs and keeps a checkpoint of that entry', async () => {
    const { service, trail, signer, clock, state } = setup();
    await append(trail, 2);
    clock.set(T0 + 5_000);
    const checkpoint = await service.createCheckpoint(CTX);
    const entry = state('t1').entries.at(-1)!;
    expect(entry).toMatchObject({
      sequence: 3,
      actor: CTX.actor,
      action: 'audit.checkpoint',
      resourceType: 'audit_trail',
      resourceId: 't1',
      reason: 'quarterly audit',
      ticket: 'AUD-7',
      correlationId: 'corr',
    });
    expect(checkpoint).toEqual({
      tenantId: 't1',
      sequence: 3,
      headHash: entry.hash,
      signedAt: '2030-01-01T00:00:05.000Z',
      keyId: 'k1',
      signature: expect.any(String),
    });
    expect(signer.signed).toEqual([checkpointSigningInput(checkpoint)]);
    expect(state('t1').checkpoints).toEqual([checkpoint]);
    expect(await service.getLatestCheckpoint(CTX)).toEqual(checkpoint);
  });

  it('signs the first checkpoint of an empty trail too: the entry of the request is there to sign', async () => {
    const { service } = setup();
    expect(await service.createCheckpoint(CTX)).toMatchObject({ sequence: 1 });
  });

  it('refuses an operator reason outside the policy before writing anything', async () => {
    const { service, state } = setup();
    const ctx = { ...CTX, requestOperator: { reason: 'tab\there' } };
    expect(await fieldErrorsOf(service.createCheckpoint(ctx))).toEqual([
      { path: 'header.x-stella-operator-reason', message: 'must not contain control characters' },
    ]);
    expect(state('t1').entries).toEqual([]);
  });

  it('checkpoints a tenant’s head periodically, only when it moved, without writing an entry', async () => {
    const { service, trail, state } = setup();
    expect(await service.checkpointTenant('t1')).toBeNull();
    const entries = await append(trail, 2);
    const first = await service.checkpointTenant('t1');
    expect(first).toMatchObject({ tenantId: 't1', sequence: 2, headHash: entries[1]!.hash });
    expect(await service.checkpointTenant('t1')).toBeNull();
    await append(trail, 1);
    expect(await service.checkpointTenant('t1')).toMatchObject({ sequence: 3 });
    expect(state('t1').entries).toHaveLength(3);
    // A head row at 0 (nothing committed) has nothing to sign either.
    state('t3').head = { lastSequence: 0, lastHash: GENESIS_PREV_HASH };
    expect(await service.checkpointTenant('t3')).toBeNull();
  });

  it('answers AUDIT_CHECKPOINT_NOT_FOUND before the first checkpoint', async () => {
    const { service } = setup();
    expect(await codeOf(service.getLatestCheckpoint(CTX))).toBe('AUDIT_CHECKPOINT_NOT_FOUND');
  });
});

describe('AuditService.verifyAuditTrail', () => {
  it('verifies the caller’s tenant’s chain in pages, with the checkpoint it used', async () => {
    const { service, trail, reads } = setup({ verifyPageSize: 2 });
    const entries = await append(trail, 5);
    expect(await service.verifyAuditTrail(CTX)).toEqual({
      ok: true,
      checked: 5,
      lastSequence: 5,
      headHash: entries[4]!.hash,
    });
    expect(reads.map((r) => r.limit)).toEqual([2, 2, 1]);
    const checkpoint = await service.checkpointTenant('t1');
    await append(trail, 1);
    expect(await service.verifyAuditTrail(CTX)).toMatchObject({
      ok: true,
      checked: 6,
      checkpoint: { sequence: 5, signedAt: checkpoint!.signedAt, keyId: 'k1' },
    });
    expect(await service.verifyAuditTrail({ tenantId: 't2' })).toEqual({
      ok: true,
      checked: 0,
      lastSequence: 0,
      headHash: GENESIS_PREV_HASH,
    });
  });

  it('starts after the latest archive, and finds entries removed from the end with the checkpoint', async () => {
    const { service, trail, state } = setup();
    await append(trail, 6);
    const manifest = await service.exportManifest(CTX, { fromSequence: 1, throughSequence: 3 });
    expect(await service.recordArchive('t1', manifest)).toBe(3);
    await service.checkpointTenant('t1');
    expect(await service.verifyAuditTrail(CTX)).toMatchObject({
      ok: true,
      checked: 3,
      lastSequence: 6,
      archive: { archiveId: manifest.archiveId, throughSequence: 3, lastHash: manifest.lastHash },
      checkpoint: { sequence: 6 },
    });
    // Entries 5 and 6 removed and the head moved back, as an owner with the triggers off could.
    const s = state('t1');
    s.entries = s.entries.filter((e) => e.sequence < 5);
    s.head = { lastSequence: 4, lastHash: s.entries.at(-1)!.hash };
    expect(await service.verifyAuditTrail(CTX)).toEqual({ ok: false, brokenAt: 5, reason: 'truncated' });
  });
});

describe('AuditService exports', () => {
  it('exports a range as canonical NDJSON lines, a page per item', async () => {
    const { service, trail } = setup({ exportPageSize: 2 });
    const entries = await append(trail, 5);
    const chunks = await collect(service.exportRange(CTX, { fromSequence: 2, throughSequence: 4 }));
    expect(chunks).toEqual([
      auditNdjsonLine(entries[1]!) + auditNdjsonLine(entries[2]!),
      auditNdjsonLine(entries[3]!),
    ]);
    const parsed = chunks
      .join('')
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as unknown);
    expect(parsed).toEqual(entries.slice(1, 4));
  });

  it('takes an end left out from the ledger: its first entry after the latest archive, the head', async () => {
    const { service, trail } = setup();
    const entries = await append(trail, 4);
    await service.recordArchive('t1', await service.exportManifest(CTX, { throughSequence: 1 }));
    const exported = await service.exportRange(CTX, {});
    expect(exported.range).toEqual({ fromSequence: 2, throughSequence: 4 });
    expect(await collect(Promise.resolve(exported))).toEqual([
      entries.slice(1).map(auditNdjsonLine).join(''),
    ]);
    expect(await service.exportManifest(CTX, { fromSequence: 3 })).toMatchObject({
      firstSequence: 3,
      throughSequence: 4,
    });
  });

  it('refuses ranges outside the ledger with field errors, before reading an entry', async () => {
    const { service, trail, reads } = setup();
    expect(await fieldErrorsOf(service.exportRange(CTX, { fromSequence: 1, throughSequence: 1 }))).toEqual([
      { path: 'through_sequence', message: 'the audit trail has no entry' },
    ]);
    await append(trail, 4);
    await service.recordArchive(
      't1',
      await service.exportManifest(CTX, { fromSequence: 1, throughSequence: 2 }),
    );
    reads.length = 0;
    expect(await fieldErrorsOf(service.exportRange(CTX, { fromSequence: 0, throughSequence: 2.5 }))).toEqual([
      { path: 'from_sequence', message: 'must be an integer ≥ 1' },
      { path: 'through_sequence', message: 'must be an integer ≥ 1' },
    ]);
    expect(await fieldErrorsOf(service.exportManifest(CTX, { fromSequence: 2, throughSequence: 5 }))).toEqual(
      [
        { path: 'from_sequence', message: 'entries before 3 are archived: the ledger starts at 3' },
        { path: 'through_sequence', message: 'must not pass the head (4)' },
      ],
    );
    expect(await fieldErrorsOf(service.exportRange(CTX, { fromSequence: 4, throughSequence: 3 }))).toEqual([
      { path: 'through_sequence', message: 'must not be less than from_sequence' },
    ]);
    expect(reads).toEqual([]);
  });

  it('signs a manifest of exactly the exported bytes, chained to the archive before it', async () => {
    const { service, trail, signer } = setup({ exportPageSize: 2 });
    const entries = await append(trail, 6);
    const first = await service.exportManifest(CTX, { fromSequence: 1, throughSequence: 3 });
    const bytes = (await collect(service.exportRange(CTX, { fromSequence: 1, throughSequence: 3 }))).join('');
    expect(first).toEqual({
      tenantId: 't1',
      archiveId: '00000000-0000-4000-8000-000000000001',
      firstSequence: 1,
      throughSequence: 3,
      firstPrevHash: GENESIS_PREV_HASH,
      lastHash: entries[2]!.hash,
      entryCount: 3,
      ndjsonDigest: sha256Digest(bytes),
      createdAt: '2030-01-01T00:00:00.000Z',
      keyId: 'k1',
      signature: expect.any(String),
    });
    expect(signer.signed.at(-1)).toBe(manifestSigningInput(first));
    await service.recordArchive('t1', first);
    const next = await service.exportManifest(CTX, { fromSequence: 4, throughSequence: 6 });
    expect(next).toMatchObject({ firstPrevHash: first.lastHash, lastHash: entries[5]!.hash, entryCount: 3 });
  });

  it('refuses to sign a range whose chain breaks: AUDIT_CHAIN_BROKEN with where and why', async () => {
    const { service, trail, state } = setup({ exportPageSize: 2 });
    await append(trail, 6);
    const s = state('t1');
    s.entries = s.entries.map((e) => (e.sequence === 3 ? { ...e, resourceId: 'edited' } : e));
    const error = await service
      .exportManifest(CTX, { fromSequence: 1, throughSequence: 4 })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'AUDIT_CHAIN_BROKEN',
      details: { brokenAt: 3, reason: 'hash_mismatch' },
    });
    // A range that starts inside the ledger is not checked against the entry before it, only within.
    expect(await codeOf(service.exportManifest(CTX, { fromSequence: 4, throughSequence: 6 }))).toBe(
      'resolved',
    );
    s.entries = s.entries.filter((e) => e.sequence !== 6);
    expect(
      await service.exportManifest(CTX, { fromSequence: 4, throughSequence: 6 }).catch((e: unknown) => e),
    ).toMatchObject({ code: 'AUDIT_CHAIN_BROKEN', details: { brokenAt: 6, reason: 'sequence_gap' } });
    s.entries = s.entries.filter((e) => e.sequence < 4);
    expect(
      await service.exportManifest(CTX, { fromSequence: 4, throughSequence: 5 }).catch((e: unknown) => e),
    ).toMatchObject({ code: 'AUDIT_CHAIN_BROKEN', details: { brokenAt: 4, reason: 'sequence_gap' } });
    // The export itself gives what the ledger holds.
    expect(await collect(service.exportRange(CTX, { fromSequence: 4, throughSequence: 5 }))).toEqual([]);
  });
});

describe('AuditService retention', () => {
  /** A trail whose entry n occurred n days after T0. */
  function daily() {
    let day = 0;
    return setup({ exportPageSize: 2, entryTimeMs: () => T0 + ++day * DAY_MS });
  }

  it('plans the longest old prefix, never the latest entry, at most maxEntries', async () => {
    const { service, trail, clock } = daily();
    expect(await service.planRetention('t1', { maxAgeDays: 1 })).toBeNull();
    await append(trail, 6);
    // Now is day 10: with 7 days, entries of days 1 and 2 are old (day 3 is exactly 7 days: not older).
    clock.set(T0 + 10 * DAY_MS);
    expect(await service.planRetention('t1', { maxAgeDays: 7 })).toEqual({
      fromSequence: 1,
      throughSequence: 2,
    });
    expect(await service.planRetention('t1', { maxAgeDays: 30 })).toBeNull();
    // Everything is old, but the head stays.
    expect(await service.planRetention('t1', { maxAgeDays: 1 })).toEqual({
      fromSequence: 1,
      throughSequence: 5,
    });
    expect(await service.planRetention('t1', { maxAgeDays: 1 }, 3)).toEqual({
      fromSequence: 1,
      throughSequence: 3,
    });
    await service.recordArchive(
      't1',
      await service.exportManifest(CTX, { fromSequence: 1, throughSequence: 3 }),
    );
    expect(await service.planRetention('t1', { maxAgeDays: 1 })).toEqual({
      fromSequence: 4,
      throughSequence: 5,
    });
    await service.recordArchive(
      't1',
      await service.exportManifest(CTX, { fromSequence: 4, throughSequence: 5 }),
    );
    expect(await service.planRetention('t1', { maxAgeDays: 1 })).toBeNull();
  });

  it('refuses a policy out of range and another tenant’s manifest', async () => {
    const { service, trail } = daily();
    await append(trail, 3);
    expect(await fieldErrorsOf(service.planRetention('t1', { maxAgeDays: 0 }))).toEqual([
      { path: 'maxAgeDays', message: 'must be an integer from 1 to 36500' },
    ]);
    const manifest = await service.exportManifest(CTX, { fromSequence: 1, throughSequence: 2 });
    expect(await fieldErrorsOf(service.recordArchive('t2', manifest))).toEqual([
      { path: 'tenantId', message: 'is not t2' },
    ]);
  });
});
