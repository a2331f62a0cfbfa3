import {
  checkpointSigningInput,
  computeAuditHash,
  manifestSigningInput,
  sha256Digest,
  type AuditArchiveManifest,
  type AuditCheckpoint,
} from '@stella-orch/core';
import { PostgresSigningKeyStore } from '@stella-orch/store-postgres';
import { createPublicKey, verify } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';

const OPERATOR = {
  'x-stella-operator-reason': 'quarterly audit',
  'x-stella-operator-ticket': 'AUD-7',
};

describe('audit checkpoints and exports (in-process, PGlite)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  beforeEach(() => {
    h.newTenant();
  });
  afterAll(async () => {
    await h.close();
  });

  /** `count` operator actions (job cancels): `count` audit entries. */
  async function cancels(count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const submitted = await h.call('POST', '/jobs', { jobType: 'scan' });
      expect(submitted.statusCode).toBe(201);
      expect((await h.call('POST', `/jobs/${submitted.json().jobId}/cancel`, {})).statusCode).toBe(200);
    }
  }

  /** Whether the ledger's published audit-checkpoint key `keyId` signed `input`: checked with node:crypto. */
  async function signedByLedgerKey(input: string, keyId: string, signature: string): Promise<boolean> {
    const keys = await new PostgresSigningKeyStore(h.driver).listPublishedKeys('audit-checkpoint');
    const key = keys.find((k) => k.keyId === keyId);
    if (key === undefined) return false;
    const publicKey = createPublicKey({ key: key.publicJwk, format: 'jwk' });
    return verify(null, Buffer.from(input, 'utf8'), publicKey, Buffer.from(signature, 'base64url'));
  }

  /** Runs `change` with the user triggers of the audit tables off, as their owner could. */
  async function behindTheLedger(change: () => Promise<void>): Promise<void> {
    const tables = ['orch.audit_entries', 'orch.audit_heads', 'orch.audit_checkpoints'];
    for (const table of tables) await h.driver.query(`ALTER TABLE ${table} DISABLE TRIGGER USER`);
    try {
      await change();
    } finally {
      for (const table of tables) await h.driver.query(`ALTER TABLE ${table} ENABLE TRIGGER USER`);
    }
  }

  it('signs a checkpoint of its own audit.checkpoint entry, serves it as the latest, and verify uses it', async () => {
    await cancels(2);
    const res = await h.call('POST', '/audit/checkpoints', undefined, OPERATOR);
    expect(res.statusCode).toBe(201);
    const checkpoint = res.json<AuditCheckpoint>();
    const [entry] = (await h.call('GET', '/audit?page_size=1')).json().items;
    expect(entry).toMatchObject({
      sequence: 3,
      action: 'audit.checkpoint',
      resourceType: 'audit_trail',
      resourceId: h.tenant,
      requestReason: 'quarterly audit',
      requestTicket: 'AUD-7',
    });
    expect(checkpoint).toEqual({
      tenantId: h.tenant,
      sequence: 3,
      headHash: entry.hash,
      signedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      keyId: expect.any(String),
      signature: expect.stringMatching(/^[A-Za-z0-9_-]{86}$/),
    });
    expect(
      await signedByLedgerKey(checkpointSigningInput(checkpoint), checkpoint.keyId, checkpoint.signature),
    ).toBe(true);
    expect((await h.call('GET', '/audit/checkpoints/latest')).json()).toEqual(checkpoint);

    await cancels(1);
    expect((await h.call('GET', '/audit/verify')).json()).toMatchObject({
      ok: true,
      checked: 4,
      lastSequence: 4,
      checkpoint: { sequence: 3, signedAt: checkpoint.signedAt, keyId: checkpoint.keyId },
    });
  });

  it('answers 404 AUDIT_CHECKPOINT_NOT_FOUND before the first checkpoint, and keeps tenants apart', async () => {
    const none = await h.call('GET', '/audit/checkpoints/latest');
    expect(none.statusCode).toBe(404);
    expect(none.json()).toMatchObject({ code: 'AUDIT_CHECKPOINT_NOT_FOUND' });
    expect((await h.call('POST', '/audit/checkpoints', {})).statusCode).toBe(201);
    const other = { authorization: `Bearer ${await h.tokenFor({ tenant: `b-${h.tenant}` })}` };
    expect((await h.call('GET', '/audit/checkpoints/latest', undefined, other)).statusCode).toBe(404);
  });

  it('lets a reader read, verify and export, but only an admin sign a checkpoint', async () => {
    await cancels(1);
    const reader = { authorization: `Bearer ${await h.tokenFor({ scopes: ['orch:read'] })}` };
    const refused = await h.call('POST', '/audit/checkpoints', {}, reader);
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ code: 'INSUFFICIENT_SCOPE' });
    for (const path of [
      '/audit/verify',
      '/audit/export?from_sequence=1&through_sequence=1',
      '/audit/export/manifest?from_sequence=1&through_sequence=1',
    ]) {
      expect((await h.call('GET', path, undefined, reader)).statusCode, path).toBe(200);
    }
    expect((await h.call('GET', '/audit/checkpoints/latest', undefined, reader)).statusCode).toBe(404);
    expect((await h.call('POST', '/audit/checkpoints', { note: 'x' })).statusCode).toBe(400);
  });

  it('exports a range as NDJSON, and signs a manifest of exactly those bytes', async () => {
    await cancels(4);
    const res = await h.call('GET', '/audit/export?from_sequence=2&through_sequence=4');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="${h.tenant}-2-4.ndjson"`);
    const lines = res.payload.split('\n');
    expect(lines.pop()).toBe('');
    const entries = lines.map(
      (line) => JSON.parse(line) as { sequence: number; hash: string; prevHash: string },
    );
    expect(entries.map((e) => e.sequence)).toEqual([2, 3, 4]);
    for (const entry of entries) {
      const { hash, ...rest } = entry;
      expect(computeAuditHash(rest as never)).toBe(hash);
    }

    const manifest = (
      await h.call('GET', '/audit/export/manifest?from_sequence=2&through_sequence=4')
    ).json<AuditArchiveManifest>();
    expect(manifest).toEqual({
      tenantId: h.tenant,
      archiveId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      firstSequence: 2,
      throughSequence: 4,
      firstPrevHash: entries[0]!.prevHash,
      lastHash: entries[2]!.hash,
      entryCount: 3,
      ndjsonDigest: sha256Digest(res.payload),
      createdAt: expect.any(String),
      keyId: expect.any(String),
      signature: expect.any(String),
    });
    expect(await signedByLedgerKey(manifestSigningInput(manifest), manifest.keyId, manifest.signature)).toBe(
      true,
    );
  });

  it('exports from the first entry to the head when the range is left out', async () => {
    await cancels(2);
    const res = await h.call('GET', '/audit/export');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-disposition']).toBe(`attachment; filename="${h.tenant}-1-2.ndjson"`);
    expect(res.payload.trimEnd().split('\n')).toHaveLength(2);
    const manifest = (await h.call('GET', '/audit/export/manifest?from_sequence=2')).json();
    expect(manifest).toMatchObject({ firstSequence: 2, throughSequence: 2, entryCount: 1 });
  });

  it('refuses ranges outside the ledger with field errors', async () => {
    await cancels(2);
    const cases: [string, string[]][] = [
      ['?from_sequence=1&through_sequence=x', ['querystring.through_sequence']],
      ['?from_sequence=0&through_sequence=1', ['from_sequence']],
      ['?from_sequence=2&through_sequence=1', ['through_sequence']],
      ['?from_sequence=1&through_sequence=3', ['through_sequence']],
      ['?from_sequence=1&through_sequence=2&more=1', ['querystring.more']],
    ];
    for (const path of ['/audit/export', '/audit/export/manifest']) {
      for (const [query, paths] of cases) {
        const res = await h.call('GET', `${path}${query}`);
        expect(res.statusCode, `${path}${query}`).toBe(400);
        expect(res.json().code).toBe('VALIDATION_FAILED');
        expect(res.json().errors.map((e: { path: string }) => e.path)).toEqual(paths);
      }
    }
    const empty = { authorization: `Bearer ${await h.tokenFor({ tenant: `e-${h.tenant}` })}` };
    const res = await h.call('GET', '/audit/export?from_sequence=1&through_sequence=1', undefined, empty);
    expect(res.json().errors).toEqual([
      { path: 'through_sequence', message: 'the audit trail has no entry' },
    ]);
  });

  it('refuses to sign the manifest of a range that does not verify (409 AUDIT_CHAIN_BROKEN)', async () => {
    await cancels(3);
    await behindTheLedger(async () => {
      await h.driver.query(
        `UPDATE orch.audit_entries SET resource_id = 'edited' WHERE tenant_id = $1 AND sequence = 2`,
        [h.tenant],
      );
    });
    const res = await h.call('GET', '/audit/export/manifest?from_sequence=1&through_sequence=3');
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({
      code: 'AUDIT_CHAIN_BROKEN',
      details: { brokenAt: 2, reason: 'hash_mismatch' },
    });
  });

  it('finds entries removed from the end, head row rewound, against the latest checkpoint', async () => {
    await cancels(3);
    expect((await h.call('POST', '/audit/checkpoints', {})).json()).toMatchObject({ sequence: 4 });
    await behindTheLedger(async () => {
      await h.driver.query(`DELETE FROM orch.audit_entries WHERE tenant_id = $1 AND sequence >= 3`, [
        h.tenant,
      ]);
      await h.driver.query(
        `UPDATE orch.audit_heads h SET last_sequence = 2, last_hash = e.hash
         FROM orch.audit_entries e WHERE h.tenant_id = $1 AND e.tenant_id = $1 AND e.sequence = 2`,
        [h.tenant],
      );
    });
    expect((await h.call('GET', '/audit/verify')).json()).toEqual({
      ok: false,
      brokenAt: 3,
      reason: 'truncated',
    });
  });

  it('finds a checkpoint whose signature does not verify', async () => {
    await cancels(1);
    const checkpoint = (await h.call('POST', '/audit/checkpoints', {})).json<AuditCheckpoint>();
    await behindTheLedger(async () => {
      await h.driver.query(
        `UPDATE orch.audit_checkpoints SET signed_at = signed_at + interval '1 second' WHERE tenant_id = $1`,
        [h.tenant],
      );
    });
    expect((await h.call('GET', '/audit/verify')).json()).toEqual({
      ok: false,
      brokenAt: checkpoint.sequence,
      reason: 'bad_checkpoint_signature',
    });
  });

  it('documents the checkpoint and export endpoints in OpenAPI', async () => {
    const doc = (await h.call('GET', '/.well-known/openapi')).json();
    const prefix = '/api/v1/orchestrator/audit';
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        `${prefix}/checkpoints`,
        `${prefix}/checkpoints/latest`,
        `${prefix}/export`,
        `${prefix}/export/manifest`,
      ]),
    );
    expect(Object.keys(doc.paths[`${prefix}/export`].get.responses['200'].content)).toEqual([
      'application/x-ndjson',
    ]);
    expect(doc.components.schemas).toHaveProperty('AuditCheckpoint');
    expect(doc.components.schemas).toHaveProperty('AuditArchiveManifest');
  });
});
