import { randomUUID } from 'node:crypto';
import { verifyAuditChain, type AuditEntry, type TenantAuditTrail } from '@stella-orch/core';
import { expect, test } from 'vitest';
import {
  archiveManifestOf,
  checkpointOf,
  expectLinearChain,
  freshAuditTenant,
  rejection,
  tenantWithEntries,
  wholeChain,
  type AuditConformanceContext,
  type AuditTenant,
} from './audit-fixtures.js';
import { createOne, expectCode, TEST_ACTOR } from './job-store-fixtures.js';

/** The paths of the field errors of a `VALIDATION_FAILED` answer. */
async function refusedFields(promise: Promise<unknown>): Promise<string[]> {
  const error = await expectCode(promise, 'VALIDATION_FAILED');
  const errors = (error as { details?: { errors?: { path: string }[] } }).details?.errors ?? [];
  return errors.map((e) => e.path).sort();
}

async function entryCount(ctx: AuditConformanceContext, tenantId: string): Promise<number> {
  const [row] = await ctx.sql.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM orch.audit_entries WHERE tenant_id = $1',
    [tenantId],
  );
  return row?.n ?? -1;
}

async function cancelOne(tenant: AuditTenant): Promise<void> {
  const job = await createOne(tenant.jobs);
  await tenant.jobs.cancelJob({ jobId: job.jobId, reason: 'later', actor: TEST_ACTOR });
}

/** The entries `from..through` of a chain read before anything was archived. */
function range(chain: readonly AuditEntry[], from: number, through: number): AuditEntry[] {
  return chain.filter((e) => e.sequence >= from && e.sequence <= through);
}

async function rest(trail: TenantAuditTrail, from: number): Promise<AuditEntry[]> {
  return trail.readAuditChain({ fromSequence: from, limit: 10_000 });
}

/** Signed checkpoints and archives of a tenant's chain, and retention (removing archived entries). */
export function auditRetentionTests(ctx: AuditConformanceContext): void {
  test('a checkpoint is kept once per sequence: a repeat returns the first, the latest is the highest', async () => {
    const { trail, tenantId } = await tenantWithEntries(ctx, 3);
    const chain = await expectLinearChain(trail, 3);
    expect(await trail.getLatestAuditCheckpoint()).toBeNull();

    const second = checkpointOf(chain[1]!);
    expect(await trail.appendAuditCheckpoint(second)).toEqual(second);
    const repeat = checkpointOf(chain[1]!, { signedAt: '2031-01-01T00:00:00.000Z', keyId: 'other-key' });
    expect(await trail.appendAuditCheckpoint(repeat)).toEqual(second);
    expect(await trail.getLatestAuditCheckpoint()).toEqual(second);

    const third = checkpointOf(chain[2]!);
    expect(await trail.appendAuditCheckpoint(third)).toEqual(third);
    // A checkpoint of an earlier sequence, kept later, is not the latest.
    const first = checkpointOf(chain[0]!);
    expect(await trail.appendAuditCheckpoint(first)).toEqual(first);
    expect(await trail.getLatestAuditCheckpoint()).toEqual(third);

    const other = freshAuditTenant(ctx);
    expect(await other.trail.getLatestAuditCheckpoint()).toBeNull();
    expect(await refusedFields(other.trail.appendAuditCheckpoint(third))).toEqual(['tenantId']);
    const [row] = await ctx.sql.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM orch.audit_checkpoints WHERE tenant_id = $1',
      [tenantId],
    );
    expect(row?.n).toBe(3);
  });

  test('concurrent checkpoints of one sequence keep one; malformed ones are refused', async () => {
    const { trail } = await tenantWithEntries(ctx, 1);
    const [entry] = await expectLinearChain(trail, 1);
    const candidates = Array.from({ length: 6 }, (_, i) =>
      checkpointOf(entry!, { signedAt: new Date(Date.UTC(2030, 0, 1, 0, 0, i)).toISOString() }),
    );
    const kept = await Promise.all(candidates.map((c) => trail.appendAuditCheckpoint(c)));
    expect(new Set(kept.map((c) => c.signature)).size).toBe(1);
    expect(candidates).toContainEqual(kept[0]);
    expect(await trail.getLatestAuditCheckpoint()).toEqual(kept[0]);

    const next = { ...entry!, sequence: 2 };
    expect(
      await refusedFields(
        trail.appendAuditCheckpoint(
          checkpointOf(next, { signedAt: '2030-01-01T00:00:00Z', signature: 'not/base64url=' }),
        ),
      ),
    ).toEqual(['signature', 'signedAt']);
    expect(
      await refusedFields(
        trail.appendAuditCheckpoint(checkpointOf(next, { headHash: 'sha256:beef', keyId: '' })),
      ),
    ).toEqual(['headHash', 'keyId']);
    expect(await refusedFields(trail.appendAuditCheckpoint(checkpointOf({ ...next, sequence: -1 })))).toEqual(
      ['sequence'],
    );
    expect(await trail.getLatestAuditCheckpoint()).toEqual(kept[0]);
  });

  test('checkpoints and archives cannot be updated, deleted or truncated', async () => {
    const tenant = await tenantWithEntries(ctx, 3);
    const chain = await expectLinearChain(tenant.trail, 3);
    await tenant.trail.appendAuditCheckpoint(checkpointOf(chain[2]!));
    await tenant.trail.recordAuditArchive(archiveManifestOf(range(chain, 1, 1)));
    const { sql } = ctx;
    for (const table of ['audit_checkpoints', 'audit_archives']) {
      expect(
        await rejection(
          sql.query(`UPDATE orch.${table} SET key_id = 'forged' WHERE tenant_id = $1`, [tenant.tenantId]),
        ),
      ).toMatch(/append-only: UPDATE is refused/);
      expect(
        await rejection(sql.query(`DELETE FROM orch.${table} WHERE tenant_id = $1`, [tenant.tenantId])),
      ).toMatch(/append-only: DELETE is refused/);
      // Refused as statements: even one that matches no row.
      expect(
        await rejection(sql.query(`DELETE FROM orch.${table} WHERE tenant_id = 'no-such-tenant'`)),
      ).toMatch(/append-only/);
      expect(await rejection(sql.query(`TRUNCATE orch.${table}`))).toMatch(
        /append-only: TRUNCATE is refused/,
      );
    }
    expect(await tenant.trail.getLatestAuditCheckpoint()).toMatchObject({
      sequence: 3,
      keyId: 'test-audit-key',
    });
    expect(await tenant.trail.getLatestAuditArchive()).toMatchObject({
      throughSequence: 1,
      keyId: 'test-audit-key',
    });
  });

  test('recording an archive removes exactly its range; the chain after it still reads, verifies and grows', async () => {
    const tenant = await tenantWithEntries(ctx, 6);
    const { trail, tenantId } = tenant;
    const chain = await expectLinearChain(trail, 6);
    const head = await trail.getAuditHead();
    expect(await trail.getLatestAuditArchive()).toBeNull();

    const first = archiveManifestOf(range(chain, 1, 3));
    expect(await trail.recordAuditArchive(first)).toBe(3);
    expect(await trail.getLatestAuditArchive()).toEqual(first);
    expect(await entryCount(ctx, tenantId)).toBe(3);
    expect(await trail.getAuditHead()).toEqual(head);
    // Reading from 1 or from the archive's end gives what is left, which chains on from the archive.
    expect(await rest(trail, 1)).toEqual(range(chain, 4, 6));
    const left = await rest(trail, first.throughSequence + 1);
    expect(left).toEqual(range(chain, 4, 6));
    expect(
      verifyAuditChain(left, { expectedFirstSequence: 4, expectedPrevHash: first.lastHash }),
    ).toMatchObject({ ok: true, checked: 3, lastSequence: 6, lastHash: head!.lastHash });
    expect((await trail.listAuditEntries({ pageSize: 50 })).items.map((e) => e.sequence)).toEqual([6, 5, 4]);
    expect(await trail.getAuditEntry(chain[0]!.auditId)).toBeNull();

    // Appends go on from the head; the next archive follows the first, up to the new head.
    await cancelOne(tenant);
    const [seventh] = await rest(trail, 7);
    expect(seventh).toMatchObject({ sequence: 7, prevHash: head!.lastHash });
    const second = archiveManifestOf([...range(chain, 4, 6), seventh!]);
    expect(await trail.recordAuditArchive(second)).toBe(4);
    expect(await trail.getLatestAuditArchive()).toEqual(second);
    expect(await rest(trail, 1)).toEqual([]);
    expect(await entryCount(ctx, tenantId)).toBe(0);
    expect(await trail.getAuditHead()).toEqual({ lastSequence: 7, lastHash: seventh!.hash });

    await cancelOne(tenant);
    const [eighth] = await rest(trail, 1);
    expect(eighth).toMatchObject({ sequence: 8, prevHash: second.lastHash });
  });

  test('an archive that does not follow on, passes the head, miscounts or misnames a hash writes nothing', async () => {
    const { trail, tenantId } = await tenantWithEntries(ctx, 5);
    const chain = await expectLinearChain(trail, 5);
    const refused = (manifest: Parameters<TenantAuditTrail['recordAuditArchive']>[0]) =>
      refusedFields(trail.recordAuditArchive(manifest));

    // The first archive starts at 1.
    expect(await refused(archiveManifestOf(range(chain, 2, 3)))).toEqual(['firstSequence']);
    const kept = archiveManifestOf(range(chain, 1, 2));
    expect(await trail.recordAuditArchive(kept)).toBe(2);

    expect(await refused(archiveManifestOf(range(chain, 1, 3)))).toEqual(['firstSequence']);
    expect(await refused(archiveManifestOf(range(chain, 4, 5)))).toEqual(['firstSequence']);
    expect(
      await refused(archiveManifestOf(range(chain, 3, 5), { throughSequence: 6, entryCount: 4 })),
    ).toEqual(['throughSequence']);
    expect(await refused(archiveManifestOf(range(chain, 3, 3), { throughSequence: 2 }))).toEqual([
      'entryCount',
      'throughSequence',
    ]);
    expect(await refused(archiveManifestOf(range(chain, 3, 4), { entryCount: 3 }))).toEqual(['entryCount']);
    expect(await refused(archiveManifestOf(range(chain, 3, 4), { lastHash: chain[4]!.hash }))).toEqual([
      'lastHash',
    ]);
    expect(await refused(archiveManifestOf(range(chain, 3, 4), { firstPrevHash: chain[2]!.hash }))).toEqual([
      'firstPrevHash',
    ]);
    expect(
      await refused(
        archiveManifestOf(range(chain, 3, 4), {
          tenantId: 'someone-else',
          archiveId: randomUUID().toUpperCase(),
          createdAt: '2030-01-01T01:00:00+01:00',
          ndjsonDigest: 'md5:0',
        }),
      ),
    ).toEqual(['archiveId', 'createdAt', 'ndjsonDigest', 'tenantId']);

    expect(await trail.getLatestAuditArchive()).toEqual(kept);
    expect(await rest(trail, 1)).toEqual(range(chain, 3, 5));
    expect(await entryCount(ctx, tenantId)).toBe(3);

    // A tenant without entries has nothing to archive.
    const empty = freshAuditTenant(ctx);
    expect(
      await refusedFields(empty.trail.recordAuditArchive({ ...kept, tenantId: empty.tenantId })),
    ).toEqual(['throughSequence']);
    expect(await empty.trail.getLatestAuditArchive()).toBeNull();
  });

  test('the database refuses a plain DELETE of any entry no archive of its tenant covers', async () => {
    const a = await tenantWithEntries(ctx, 4);
    const b = await tenantWithEntries(ctx, 2);
    const chainA = await expectLinearChain(a.trail, 4);
    const chainB = await expectLinearChain(b.trail, 2);
    await a.trail.recordAuditArchive(archiveManifestOf(range(chainA, 1, 2)));
    const { sql } = ctx;

    expect(
      await rejection(
        sql.query('DELETE FROM orch.audit_entries WHERE tenant_id = $1 AND sequence = 3', [a.tenantId]),
      ),
    ).toMatch(/append-only: DELETE is refused for entry 3/);
    // A's archive covers 1..2 of A only: B's entries stay.
    expect(
      await rejection(
        sql.query('DELETE FROM orch.audit_entries WHERE tenant_id = $1 AND sequence = 1', [b.tenantId]),
      ),
    ).toMatch(/append-only: DELETE is refused for entry 1/);
    // One refused row refuses the whole statement.
    expect(
      await rejection(
        sql.query('DELETE FROM orch.audit_entries WHERE tenant_id = ANY($1::text[])', [
          [a.tenantId, b.tenantId],
        ]),
      ),
    ).toMatch(/append-only: DELETE is refused/);
    expect(
      await rejection(
        sql.query("UPDATE orch.audit_entries SET reason = 'edited' WHERE tenant_id = $1", [a.tenantId]),
      ),
    ).toMatch(/append-only: UPDATE is refused/);
    expect(await rejection(sql.query('TRUNCATE orch.audit_entries'))).toMatch(
      /append-only: TRUNCATE is refused/,
    );
    expect(await rest(a.trail, 1)).toEqual(range(chainA, 3, 4));
    expect(await wholeChain(b.trail)).toEqual(chainB);

    // What lets an entry go is an archive row covering it, however it was written.
    const manifest = archiveManifestOf(range(chainB, 1, 1));
    await sql.query(
      `INSERT INTO orch.audit_archives (tenant_id, archive_id, first_sequence, through_sequence, first_prev_hash,
         last_hash, entry_count, ndjson_digest, created_at, key_id, signature)
       VALUES ($1, $2::uuid, 1, 1, $3, $4, 1, $5, $6::timestamptz, $7, $8)`,
      [
        b.tenantId,
        manifest.archiveId,
        manifest.firstPrevHash,
        manifest.lastHash,
        manifest.ndjsonDigest,
        manifest.createdAt,
        manifest.keyId,
        manifest.signature,
      ],
    );
    expect(
      await sql.query(
        'DELETE FROM orch.audit_entries WHERE tenant_id = $1 AND sequence = 1 RETURNING sequence::int',
        [b.tenantId],
      ),
    ).toEqual([{ sequence: 1 }]);
    expect(
      await rejection(
        sql.query('DELETE FROM orch.audit_entries WHERE tenant_id = $1 AND sequence = 2', [b.tenantId]),
      ),
    ).toMatch(/append-only: DELETE is refused for entry 2/);
    expect(await rest(b.trail, 1)).toEqual(range(chainB, 2, 2));
  });
}
