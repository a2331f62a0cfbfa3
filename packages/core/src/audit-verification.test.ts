import { describe, expect, it } from 'vitest';
import type { AuditHead } from './audit-chain.js';
import {
  checkpointSigningInput,
  manifestSigningInput,
  type AuditArchiveManifest,
  type AuditCheckpoint,
  type AuditSigner,
} from './audit-checkpoint.js';
import { GENESIS_PREV_HASH, sealAuditEntry, type AuditEntry } from './audit-entry.js';
import { sha256Digest } from './canonical-json.js';
import { verifyTenantAuditTrail, type AuditTrailSource } from './audit-verification.js';

const signer: AuditSigner = {
  sign: (input) => Promise.resolve({ keyId: 'k1', signature: sha256Digest(`k1|${input('k1')}`) }),
  verify: (input, keyId, signature) => Promise.resolve(signature === sha256Digest(`${keyId}|${input}`)),
};

/** A valid chain of `length` entries of tenant t1 from sequence 1. */
function chain(length: number): AuditEntry[] {
  const entries: AuditEntry[] = [];
  for (let sequence = 1; sequence <= length; sequence++) {
    entries.push(
      sealAuditEntry({
        auditId: `00000000-0000-4000-8000-${String(sequence).padStart(12, '0')}`,
        tenantId: 't1',
        sequence,
        occurredAt: new Date(Date.UTC(2030, 0, 1, 0, 0, sequence)).toISOString(),
        actor: { subject: 'alice', clientId: null, scopes: [] },
        action: 'job.cancel',
        resourceType: 'job',
        resourceId: `job-${sequence}`,
        correlationId: `c-${sequence}`,
        prevHash: entries.at(-1)?.hash ?? GENESIS_PREV_HASH,
      }),
    );
  }
  return entries;
}

async function checkpointOf(entry: AuditEntry, tenantId = 't1'): Promise<AuditCheckpoint> {
  const unsigned = {
    tenantId,
    sequence: entry.sequence,
    headHash: entry.hash,
    signedAt: '2030-02-01T00:00:00.000Z',
  };
  const { keyId, signature } = await signer.sign((id) => checkpointSigningInput({ ...unsigned, keyId: id }));
  return { ...unsigned, keyId, signature };
}

async function archiveOf(entries: AuditEntry[], tenantId = 't1'): Promise<AuditArchiveManifest> {
  const unsigned = {
    tenantId,
    archiveId: 'a1',
    firstSequence: entries[0]!.sequence,
    throughSequence: entries.at(-1)!.sequence,
    firstPrevHash: entries[0]!.prevHash,
    lastHash: entries.at(-1)!.hash,
    entryCount: entries.length,
    ndjsonDigest: sha256Digest('lines'),
    createdAt: '2030-02-01T00:00:00.000Z',
  };
  const { keyId, signature } = await signer.sign((id) => manifestSigningInput({ ...unsigned, keyId: id }));
  return { ...unsigned, keyId, signature };
}

/** A tenant's trail in memory: what each read answers can be changed between reads. */
function source(state: {
  entries: AuditEntry[];
  head?: AuditHead | null;
  checkpoint?: AuditCheckpoint | null;
  archives?: (AuditArchiveManifest | null)[];
}): AuditTrailSource {
  const archives = state.archives ?? [null];
  let archiveReads = 0;
  return {
    tenantId: 't1',
    getAuditHead: () => {
      const last = state.entries.at(-1);
      const head =
        state.head === undefined ? last && { lastSequence: last.sequence, lastHash: last.hash } : state.head;
      return Promise.resolve(head ?? null);
    },
    readAuditChain: ({ fromSequence, limit }) =>
      Promise.resolve(state.entries.filter((e) => e.sequence >= fromSequence).slice(0, limit)),
    getLatestAuditCheckpoint: () => Promise.resolve(state.checkpoint ?? null),
    getLatestAuditArchive: () =>
      Promise.resolve(archives[Math.min(archiveReads++, archives.length - 1)] ?? null),
  };
}

describe('verifyTenantAuditTrail', () => {
  it('checks the latest checkpoint against the head, an entry in the ledger, or the archive’s last hash', async () => {
    const entries = chain(6);
    const archive = await archiveOf(entries.slice(0, 2));
    const kept = entries.slice(2);
    for (const at of [6, 4, 2]) {
      const checkpoint = await checkpointOf(entries[at - 1]!);
      expect(
        await verifyTenantAuditTrail(source({ entries: kept, checkpoint, archives: [archive] }), signer, 2),
      ).toEqual({
        ok: true,
        checked: 4,
        lastSequence: 6,
        headHash: entries[5]!.hash,
        archive: { archiveId: 'a1', throughSequence: 2, lastHash: entries[1]!.hash },
        checkpoint: { sequence: at, signedAt: '2030-02-01T00:00:00.000Z', keyId: 'k1' },
      });
    }
    // A checkpoint of an entry archived before the archive's last one can no longer be compared.
    const older = await checkpointOf(entries[0]!);
    expect(
      await verifyTenantAuditTrail(source({ entries: kept, checkpoint: older, archives: [archive] }), signer),
    ).toMatchObject({
      ok: true,
      checkpoint: { sequence: 1 },
    });
  });

  it('does not count an entry archived between the walk and the look at the checkpoint’s entry', async () => {
    const entries = chain(6);
    const checkpoint = await checkpointOf(entries[3]!);
    const trail = source({ entries, checkpoint });
    const read = trail.readAuditChain.bind(trail);
    const racing: AuditTrailSource = {
      ...trail,
      readAuditChain: (params) => (params.limit === 1 ? Promise.resolve([entries[5]!]) : read(params)),
    };
    expect(await verifyTenantAuditTrail(racing, signer)).toMatchObject({
      ok: true,
      checkpoint: { sequence: 4 },
    });
  });

  it('finds history rewritten after a checkpoint: checkpoint_mismatch at its sequence', async () => {
    const entries = chain(5);
    const checkpoint = await checkpointOf(entries[2]!);
    // Entries 3..5 rewritten and re-hashed into a chain that verifies by itself.
    const forged = chain(2);
    for (const e of entries.slice(2)) {
      forged.push(sealAuditEntry({ ...e, resourceId: 'forged', prevHash: forged.at(-1)!.hash }));
    }
    expect(await verifyTenantAuditTrail(source({ entries: forged, checkpoint }), signer)).toEqual({
      ok: false,
      brokenAt: 3,
      reason: 'checkpoint_mismatch',
    });
    // At the archive's last sequence, the archive's last hash is what the checkpoint is compared with.
    const archive = await archiveOf(forged.slice(0, 3));
    expect(
      await verifyTenantAuditTrail(
        source({ entries: forged.slice(3), checkpoint, archives: [archive] }),
        signer,
      ),
    ).toEqual({ ok: false, brokenAt: 3, reason: 'checkpoint_mismatch' });
  });

  it('refuses a checkpoint or an archive record whose signature does not verify, or of another tenant', async () => {
    const entries = chain(3);
    const checkpoint = await checkpointOf(entries[1]!);
    for (const bad of [
      { ...checkpoint, headHash: entries[2]!.hash },
      { ...checkpoint, keyId: 'k2' },
      await checkpointOf(entries[1]!, 't2'),
    ]) {
      expect(await verifyTenantAuditTrail(source({ entries, checkpoint: bad }), signer)).toEqual({
        ok: false,
        brokenAt: bad.sequence,
        reason: 'bad_checkpoint_signature',
      });
    }
    const archive = await archiveOf(entries.slice(0, 1));
    for (const bad of [{ ...archive, throughSequence: 2 }, await archiveOf(entries.slice(0, 1), 't2')]) {
      expect(
        await verifyTenantAuditTrail(source({ entries: entries.slice(1), archives: [bad] }), signer),
      ).toEqual({
        ok: false,
        brokenAt: 1,
        reason: 'bad_archive_signature',
      });
    }
  });

  it('finds a trail removed head row and all, by its checkpoint or its archive', async () => {
    const entries = chain(3);
    const checkpoint = await checkpointOf(entries[2]!);
    expect(await verifyTenantAuditTrail(source({ entries: [], checkpoint }), signer)).toEqual({
      ok: false,
      brokenAt: 1,
      reason: 'truncated',
    });
    const archive = await archiveOf(entries.slice(0, 2));
    expect(
      await verifyTenantAuditTrail(source({ entries: [], head: null, archives: [archive] }), signer),
    ).toEqual({
      ok: false,
      brokenAt: 3,
      reason: 'head_mismatch',
    });
  });

  it('starts again after an archive recorded while it ran, and gives up on a gap that stays', async () => {
    const entries = chain(5);
    const archive = await archiveOf(entries.slice(0, 2));
    // The archive was read as none, then the entries it covers were removed before the chain was read.
    const moved = source({ entries: entries.slice(2), archives: [null, archive] });
    expect(await verifyTenantAuditTrail(moved, signer)).toMatchObject({
      ok: true,
      checked: 3,
      archive: { throughSequence: 2 },
    });
    // Entries missing with no archive to explain them: a gap, after one look at the archive.
    expect(await verifyTenantAuditTrail(source({ entries: entries.slice(2) }), signer)).toEqual({
      ok: false,
      brokenAt: 1,
      reason: 'sequence_gap',
    });
    // An archive that keeps moving: three attempts, then the break is reported.
    const archives = [
      null,
      await archiveOf(entries.slice(0, 1)),
      null,
      await archiveOf(entries.slice(0, 1)),
      null,
    ];
    expect(await verifyTenantAuditTrail(source({ entries: entries.slice(2), archives }), signer)).toEqual({
      ok: false,
      brokenAt: 1,
      reason: 'sequence_gap',
    });
  });
});
