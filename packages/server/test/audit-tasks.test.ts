import {
  AuditService,
  computeAuditHash,
  manifestSigningInput,
  silentLogger,
  type AuditArchiveManifest,
  type AuditSequenceRange,
  type AuditTenantScope,
  type LogFields,
  type Logger,
} from '@stella-orch/core';
import { openLedger, type Ledger } from '@stella-orch/store-postgres';
import { migratedPgliteImage } from '@stella-orch/testing';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditCheckpointer } from '../src/audit/audit-checkpointer.js';
import { AuditRetention } from '../src/audit/audit-retention.js';
import { Ed25519AuditSigner } from '../src/audit/ed25519-audit-signer.js';
import { systemIds } from '../src/system-ports.js';

const DAY_MS = 86_400_000;

/** A logger that keeps its lines. */
function recordingLogger(): Logger & { lines: { level: string; fields: LogFields; message: string }[] } {
  const lines: { level: string; fields: LogFields; message: string }[] = [];
  const log =
    (level: string) =>
    (fields: LogFields, message: string): void => {
      lines.push({ level, fields, message });
    };
  const logger = {
    lines,
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    child: (): Logger => logger,
  };
  return logger;
}

describe('audit checkpointer and retention (PGlite)', () => {
  let ledger: Ledger;
  let dir: string;
  /** The service's clock: the tests move it forward to make entries old. */
  let now = Date.now();
  let audit: AuditService;
  let signer: Ed25519AuditSigner;

  beforeAll(async () => {
    ledger = await openLedger({ migrate: true, pgliteImage: await migratedPgliteImage() });
    dir = await mkdtemp(join(tmpdir(), 'stella-audit-'));
    signer = new Ed25519AuditSigner({ keys: ledger.keys });
    audit = new AuditService({ trail: ledger.audit, signer, clock: { nowMs: () => now }, ids: systemIds });
  });
  afterAll(async () => {
    await ledger.store.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** A fresh tenant with `count` stand-alone entries. */
  async function tenantWith(count: number): Promise<string> {
    const tenantId = `t-${randomUUID().slice(0, 8)}`;
    for (let i = 0; i < count; i++) {
      await ledger.audit.forTenant(tenantId).appendAuditEntry({
        actor: { subject: 'alice', clientId: null, scopes: [] },
        action: 'token.grant',
        resourceType: 'client',
        resourceId: `c${i}`,
        correlationId: `corr-${i}`,
      });
    }
    return tenantId;
  }

  function retention(
    listAuditTenants: () => Promise<string[]>,
    options: { tenantMaxAgeDays?: Record<string, number>; maxEntriesPerArchive?: number } = {},
    service: AuditService = audit,
    logger: Logger = silentLogger,
  ): AuditRetention {
    return new AuditRetention(
      { audit: service, listAuditTenants, logger },
      {
        archiveDir: dir,
        defaultMaxAgeDays: 30,
        tenantMaxAgeDays: options.tenantMaxAgeDays ?? {},
        intervalMs: 60_000,
        ...(options.maxEntriesPerArchive === undefined
          ? {}
          : { maxEntriesPerArchive: options.maxEntriesPerArchive }),
      },
    );
  }

  it('checkpoints every tenant whose head moved, once, and logs a tenant that fails', async () => {
    const a = await tenantWith(2);
    const b = await tenantWith(1);
    const logger = recordingLogger();
    const checkpointer = new AuditCheckpointer({
      audit,
      listAuditTenants: () => Promise.resolve([a, b, '']),
      logger,
      intervalMs: 60_000,
    });
    expect(await checkpointer.sweep()).toBe(2);
    expect(await ledger.audit.forTenant(a).getLatestAuditCheckpoint()).toMatchObject({ sequence: 2 });
    expect(await checkpointer.sweep()).toBe(0);
    await ledger.audit.forTenant(b).appendAuditEntry({
      actor: { subject: 'bob', clientId: null, scopes: [] },
      action: 'token.grant',
      resourceType: 'client',
      resourceId: 'c',
      correlationId: 'corr',
    });
    expect(await checkpointer.sweep()).toBe(1);
    expect(await audit.verifyAuditTrail({ tenantId: b })).toMatchObject({
      ok: true,
      checkpoint: { sequence: 2 },
    });
    expect(logger.lines.filter((l) => l.level === 'error')).toHaveLength(3);
    const failing = new AuditCheckpointer({
      audit,
      listAuditTenants: () => Promise.reject(new Error('ledger down')),
      logger,
      intervalMs: 60_000,
    });
    expect(await failing.sweep()).toBe(0);
    expect(logger.lines.at(-1)).toMatchObject({
      level: 'error',
      message: 'audit checkpointer could not list tenants',
    });
    checkpointer.start();
    checkpointer.start();
    await checkpointer.stop();
  });

  it('archives old entries to checked files, removes them, and the trail still verifies from the archive', async () => {
    const tenantId = await tenantWith(5);
    await audit.checkpointTenant(tenantId);
    const exported = (
      await collect((await audit.exportRange({ tenantId }, { fromSequence: 1, throughSequence: 4 })).lines)
    ).join('');
    const task = retention(() => Promise.resolve([tenantId]), { maxEntriesPerArchive: 3 });
    // Nothing is 30 days old yet.
    expect(await task.sweep()).toBe(0);
    now += 31 * DAY_MS;
    expect(await task.sweep()).toBe(4);

    const files = (await readdir(join(dir, tenantId))).sort();
    expect(files).toEqual(['1-3.manifest.json', '1-3.ndjson', '4-4.manifest.json', '4-4.ndjson']);
    const ndjson =
      (await readFile(join(dir, tenantId, '1-3.ndjson'), 'utf8')) +
      (await readFile(join(dir, tenantId, '4-4.ndjson'), 'utf8'));
    expect(ndjson).toBe(exported);
    for (const line of ndjson.trimEnd().split('\n')) {
      const { hash, ...rest } = JSON.parse(line) as { hash: string };
      expect(computeAuditHash(rest as never)).toBe(hash);
    }
    const manifest = JSON.parse(
      await readFile(join(dir, tenantId, '4-4.manifest.json'), 'utf8'),
    ) as AuditArchiveManifest;
    expect(manifest).toMatchObject({ tenantId, firstSequence: 4, throughSequence: 4, entryCount: 1 });
    expect(await signer.verify(manifestSigningInput(manifest), manifest.keyId, manifest.signature)).toBe(
      true,
    );
    expect(await ledger.audit.forTenant(tenantId).getLatestAuditArchive()).toEqual(manifest);

    // The latest entry stays; the trail verifies from the archive on, against the checkpoint of 5.
    expect(
      (await ledger.audit.forTenant(tenantId).readAuditChain({ fromSequence: 1, limit: 10 })).map(
        (e) => e.sequence,
      ),
    ).toEqual([5]);
    expect(await audit.verifyAuditTrail({ tenantId })).toMatchObject({
      ok: true,
      checked: 1,
      lastSequence: 5,
      archive: { archiveId: manifest.archiveId, throughSequence: 4 },
      checkpoint: { sequence: 5 },
    });
    expect(await task.sweep()).toBe(0);
  });

  it('keeps per-tenant ages, and goes on with the next tenant when one fails', async () => {
    const kept = await tenantWith(3);
    const archived = await tenantWith(3);
    now += 40 * DAY_MS;
    const logger = recordingLogger();
    const task = retention(
      () => Promise.resolve(['', kept, archived]),
      { tenantMaxAgeDays: { [kept]: 365 } },
      audit,
      logger,
    );
    expect(await task.sweep()).toBe(2);
    expect(await ledger.audit.forTenant(kept).getLatestAuditArchive()).toBeNull();
    expect(await ledger.audit.forTenant(archived).getLatestAuditArchive()).toMatchObject({
      throughSequence: 2,
    });
    expect(logger.lines.filter((l) => l.level === 'error').map((l) => l.fields['tenantId'])).toEqual(['']);
    // A tenant id is a directory name: never one that leaves the archive directory.
    await expect(task.archiveRange('../escape', { fromSequence: 1, throughSequence: 1 })).rejects.toThrow(
      'tenant id ../escape is not a safe directory name',
    );
  });

  it('removes nothing when the file read back does not match its manifest, and redoes the range next time', async () => {
    const tenantId = await tenantWith(3);
    now += 40 * DAY_MS;
    class Misdigesting extends AuditService {
      override async exportManifest(
        ctx: AuditTenantScope,
        range: AuditSequenceRange,
      ): Promise<AuditArchiveManifest> {
        return { ...(await super.exportManifest(ctx, range)), ndjsonDigest: `sha256:${'0'.repeat(64)}` };
      }
    }
    const broken = new Misdigesting({
      trail: ledger.audit,
      signer,
      clock: { nowMs: () => now },
      ids: systemIds,
    });
    await expect(
      retention(() => Promise.resolve([tenantId]), {}, broken).archiveTenant(tenantId),
    ).rejects.toThrow(/its manifest says sha256:0{64}/);
    expect(await ledger.audit.forTenant(tenantId).getLatestAuditArchive()).toBeNull();
    expect(
      await ledger.audit.forTenant(tenantId).readAuditChain({ fromSequence: 1, limit: 10 }),
    ).toHaveLength(3);
    expect(await readdir(join(dir, tenantId))).toEqual(
      expect.arrayContaining(['1-2.ndjson', '1-2.manifest.json']),
    );
    expect(await retention(() => Promise.resolve([tenantId])).archiveTenant(tenantId)).toBe(2);
    expect((await readdir(join(dir, tenantId))).sort()).toEqual(['1-2.manifest.json', '1-2.ndjson']);
  });

  it('refuses options out of range', () => {
    expect(
      () =>
        new AuditRetention(
          { audit, listAuditTenants: () => Promise.resolve([]), logger: silentLogger },
          {
            archiveDir: '',
            defaultMaxAgeDays: 0,
            tenantMaxAgeDays: { t1: 1.5 },
            intervalMs: 0,
            maxEntriesPerArchive: 0,
          },
        ),
    ).toThrow(
      'defaultMaxAgeDays: must be an integer from 1 to 36500; tenantMaxAgeDays.t1: must be an integer from 1 to 36500; intervalMs: must be a positive integer; maxEntriesPerArchive: must be a positive integer; archiveDir: must not be empty',
    );
  });

  it('starts and stops, logging a failed tenant list', async () => {
    const logger = recordingLogger();
    const task = retention(() => Promise.reject(new Error('ledger down')), {}, audit, logger);
    expect(await task.sweep()).toBe(0);
    expect(logger.lines).toMatchObject([
      { level: 'error', message: 'audit retention could not list tenants' },
    ]);
    task.start();
    await task.stop();
    expect(await task.archiveTenant('anyone')).toBe(0);
  });
});

async function collect(lines: AsyncIterable<string>): Promise<string[]> {
  const chunks: string[] = [];
  for await (const chunk of lines) chunks.push(chunk);
  return chunks;
}
