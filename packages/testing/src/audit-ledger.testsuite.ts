import { computeAuditHash, verifyAuditTrail } from '@stella-orch/core';
import { expect, test } from 'vitest';
import {
  expectLinearChain,
  freshAuditTenant,
  operatorAudit,
  rejection,
  tenantWithEntries,
  withAuditTriggersDisabled,
  type AuditConformanceContext,
} from './audit-fixtures.js';
import { createOne, TEST_ACTOR } from './job-store-fixtures.js';

/** What the database guarantees whatever the application does, and what verification finds. */
export function auditLedgerTests(ctx: AuditConformanceContext): void {
  test('concurrent operator actions of one tenant keep one linear chain (20 parallel cancels)', async () => {
    const tenant = freshAuditTenant(ctx);
    const jobs = [];
    for (let i = 0; i < 20; i++) jobs.push(await createOne(tenant.jobs));
    // The first append of the tenant is among them: the head row is made under contention too.
    await Promise.all(
      jobs.map((job) =>
        tenant.jobs.cancelJob({
          jobId: job.jobId,
          reason: 'bulk',
          actor: TEST_ACTOR,
          audit: operatorAudit(),
        }),
      ),
    );
    const chain = await expectLinearChain(tenant.trail, 20);
    expect(new Set(chain.map((e) => e.resourceId))).toEqual(new Set(jobs.map((j) => j.jobId)));
    for (let i = 1; i < chain.length; i++) {
      expect(chain[i]!.prevHash).toBe(chain[i - 1]!.hash);
      expect(Date.parse(chain[i]!.occurredAt)).toBeGreaterThanOrEqual(Date.parse(chain[i - 1]!.occurredAt));
    }
    expect(await verifyAuditTrail(tenant.trail, 7)).toEqual({
      ok: true,
      checked: 20,
      lastSequence: 20,
      headHash: chain.at(-1)!.hash,
    });
  });

  test('the ledger refuses UPDATE, TRUNCATE and DELETE of unarchived entries, and removing or rewinding a head', async () => {
    const { tenantId, trail } = await tenantWithEntries(ctx, 2);
    const before = await expectLinearChain(trail, 2);
    const { sql } = ctx;
    expect(
      await rejection(
        sql.query("UPDATE orch.audit_entries SET reason = 'edited' WHERE tenant_id = $1", [tenantId]),
      ),
    ).toMatch(/append-only: UPDATE is refused/);
    expect(
      await rejection(sql.query('DELETE FROM orch.audit_entries WHERE tenant_id = $1', [tenantId])),
    ).toMatch(/append-only: DELETE is refused/);
    // DELETE is checked row by row (retention removes archived entries): one that matches no row
    // deletes nothing.
    expect(await sql.query("DELETE FROM orch.audit_entries WHERE tenant_id = 'no-such-tenant'")).toEqual([]);
    expect(await rejection(sql.query('TRUNCATE orch.audit_entries'))).toMatch(
      /append-only: TRUNCATE is refused/,
    );
    expect(
      await rejection(sql.query('DELETE FROM orch.audit_heads WHERE tenant_id = $1', [tenantId])),
    ).toMatch(/append-only: DELETE is refused/);
    expect(
      await rejection(
        sql.query('UPDATE orch.audit_heads SET last_sequence = 0 WHERE tenant_id = $1', [tenantId]),
      ),
    ).toMatch(/may only advance by one entry/);
    expect(await expectLinearChain(trail, 2)).toEqual(before);
  });

  test('an entry edited behind the triggers is found: verification names its sequence', async () => {
    const { tenantId, trail } = await tenantWithEntries(ctx, 4);
    expect(await verifyAuditTrail(trail)).toMatchObject({ ok: true, checked: 4, lastSequence: 4 });
    await withAuditTriggersDisabled(ctx.sql, async () => {
      await ctx.sql.query(
        `UPDATE orch.audit_entries SET after = jsonb_set(after, '{status}', '"pending"')
         WHERE tenant_id = $1 AND sequence = 3`,
        [tenantId],
      );
    });
    expect(await verifyAuditTrail(trail)).toEqual({ ok: false, brokenAt: 3, reason: 'hash_mismatch' });
    expect(await verifyAuditTrail(trail, 2)).toEqual({ ok: false, brokenAt: 3, reason: 'hash_mismatch' });
  });

  test('a re-hashed entry breaks the link of the next; a removed entry is a gap, at the end too', async () => {
    const rehashed = await tenantWithEntries(ctx, 3);
    const [, second] = await expectLinearChain(rehashed.trail, 3);
    const forged = { ...second!, reason: 'forged' };
    await withAuditTriggersDisabled(ctx.sql, async () => {
      await ctx.sql.query(
        'UPDATE orch.audit_entries SET reason = $3, hash = $4 WHERE tenant_id = $1 AND sequence = $2',
        [rehashed.tenantId, 2, forged.reason, computeAuditHash(forged)],
      );
    });
    expect(await verifyAuditTrail(rehashed.trail)).toEqual({
      ok: false,
      brokenAt: 3,
      reason: 'prev_hash_mismatch',
    });

    const removed = await tenantWithEntries(ctx, 3);
    await withAuditTriggersDisabled(ctx.sql, async () => {
      await ctx.sql.query('DELETE FROM orch.audit_entries WHERE tenant_id = $1 AND sequence = 2', [
        removed.tenantId,
      ]);
    });
    expect(await verifyAuditTrail(removed.trail)).toEqual({ ok: false, brokenAt: 2, reason: 'sequence_gap' });

    const truncated = await tenantWithEntries(ctx, 3);
    await withAuditTriggersDisabled(ctx.sql, async () => {
      await ctx.sql.query('DELETE FROM orch.audit_entries WHERE tenant_id = $1 AND sequence = 3', [
        truncated.tenantId,
      ]);
    });
    expect(await verifyAuditTrail(truncated.trail)).toEqual({
      ok: false,
      brokenAt: 3,
      reason: 'sequence_gap',
    });
  });

  test('an untouched tenant verifies while another is tampered with', async () => {
    const clean = await tenantWithEntries(ctx, 2);
    const dirty = await tenantWithEntries(ctx, 2);
    await withAuditTriggersDisabled(ctx.sql, async () => {
      await ctx.sql.query(
        `UPDATE orch.audit_entries SET actor = jsonb_set(actor, '{subject}', '"someone-else"')
         WHERE tenant_id = $1 AND sequence = 1`,
        [dirty.tenantId],
      );
    });
    expect(await verifyAuditTrail(dirty.trail)).toEqual({ ok: false, brokenAt: 1, reason: 'hash_mismatch' });
    expect(await verifyAuditTrail(clean.trail)).toMatchObject({ ok: true, checked: 2 });
  });
}
