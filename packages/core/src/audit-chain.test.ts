import { describe, expect, it } from 'vitest';
import { verifyAuditChain, verifyAuditTrail, type AuditChainSource, type AuditHead } from './audit-chain.js';
import { computeAuditHash, GENESIS_PREV_HASH, sealAuditEntry, type AuditEntry } from './audit-entry.js';

/** A valid chain of `length` entries from sequence 1. */
function chain(length: number, tenantId = 't1'): AuditEntry[] {
  const entries: AuditEntry[] = [];
  for (let sequence = 1; sequence <= length; sequence++) {
    entries.push(
      sealAuditEntry({
        auditId: `00000000-0000-4000-8000-${String(sequence).padStart(12, '0')}`,
        tenantId,
        sequence,
        occurredAt: new Date(Date.UTC(2030, 0, 1, 0, 0, sequence)).toISOString(),
        actor: { subject: 'alice', clientId: null, scopes: [] },
        action: 'job.cancel',
        resourceType: 'job',
        resourceId: `job-${sequence}`,
        after: { status: 'canceled' },
        correlationId: `c-${sequence}`,
        prevHash: entries.at(-1)?.hash ?? GENESIS_PREV_HASH,
      }),
    );
  }
  return entries;
}

/** `entries` with entry `index` replaced by `change(entry)`. */
function edit(entries: AuditEntry[], index: number, change: (e: AuditEntry) => AuditEntry): AuditEntry[] {
  return entries.map((e, i) => (i === index ? change(e) : e));
}

describe('verifyAuditChain', () => {
  it('verifies a chain from genesis and reports its end', () => {
    const entries = chain(5);
    expect(verifyAuditChain(entries, { expectedFirstSequence: 1 })).toEqual({
      ok: true,
      checked: 5,
      lastSequence: 5,
      lastHash: entries[4]!.hash,
    });
    expect(verifyAuditChain(entries)).toMatchObject({ ok: true, checked: 5 });
  });

  it('verifies an empty run as ending where it was expected to start', () => {
    expect(verifyAuditChain([])).toEqual({
      ok: true,
      checked: 0,
      lastSequence: 0,
      lastHash: GENESIS_PREV_HASH,
    });
    expect(verifyAuditChain([], { expectedFirstSequence: 4, expectedPrevHash: 'sha256:x' })).toEqual({
      ok: true,
      checked: 0,
      lastSequence: 3,
      lastHash: 'sha256:x',
    });
  });

  it('verifies a page in the middle against the previous page', () => {
    const entries = chain(6);
    const page = entries.slice(3);
    expect(
      verifyAuditChain(page, { expectedFirstSequence: 4, expectedPrevHash: entries[2]!.hash }),
    ).toMatchObject({ ok: true, checked: 3, lastSequence: 6 });
    // Without expectations a page is checked on its own terms.
    expect(verifyAuditChain(page)).toMatchObject({ ok: true, checked: 3 });
    expect(verifyAuditChain(page, { expectedFirstSequence: 4, expectedPrevHash: entries[1]!.hash })).toEqual({
      ok: false,
      brokenAt: 4,
      reason: 'prev_hash_mismatch',
    });
    expect(verifyAuditChain(page, { expectedFirstSequence: 3 })).toEqual({
      ok: false,
      brokenAt: 3,
      reason: 'sequence_gap',
    });
  });

  it('finds an edited entry (hash_mismatch at its sequence)', () => {
    const entries = edit(chain(4), 2, (e) => ({ ...e, reason: 'added later' }));
    expect(verifyAuditChain(entries, { expectedFirstSequence: 1 })).toEqual({
      ok: false,
      brokenAt: 3,
      reason: 'hash_mismatch',
    });
    const actor = edit(chain(2), 0, (e) => ({ ...e, actor: { ...e.actor, scopes: ['orch:admin'] } }));
    expect(verifyAuditChain(actor)).toEqual({ ok: false, brokenAt: 1, reason: 'hash_mismatch' });
  });

  it('finds a re-hashed entry by the broken link of the next one', () => {
    const entries = edit(chain(4), 1, (e) => sealAuditEntry({ ...e, resourceId: 'other' }));
    expect(verifyAuditChain(entries)).toEqual({ ok: false, brokenAt: 3, reason: 'prev_hash_mismatch' });
  });

  it('finds removed and reordered entries (sequence_gap at the missing sequence)', () => {
    const entries = chain(5);
    expect(verifyAuditChain([...entries.slice(0, 2), ...entries.slice(3)])).toEqual({
      ok: false,
      brokenAt: 3,
      reason: 'sequence_gap',
    });
    expect(verifyAuditChain(entries.slice(1), { expectedFirstSequence: 1 })).toEqual({
      ok: false,
      brokenAt: 1,
      reason: 'sequence_gap',
    });
    const swapped = [entries[0]!, entries[2]!, entries[1]!];
    expect(verifyAuditChain(swapped)).toEqual({ ok: false, brokenAt: 2, reason: 'sequence_gap' });
  });

  it('refuses a first entry that does not start from genesis', () => {
    const forged = sealAuditEntry({ ...chain(1)[0]!, prevHash: `sha256:${'f'.repeat(64)}` });
    expect(verifyAuditChain([forged])).toEqual({ ok: false, brokenAt: 1, reason: 'prev_hash_mismatch' });
    expect(computeAuditHash(forged)).toBe(forged.hash);
  });
});

/** A trail in memory, counting its reads. */
function source(entries: AuditEntry[], head: AuditHead | null): AuditChainSource & { reads: number[][] } {
  const reads: number[][] = [];
  return {
    reads,
    getAuditHead: () => Promise.resolve(head),
    readAuditChain: ({ fromSequence, limit }) => {
      reads.push([fromSequence, limit]);
      return Promise.resolve(
        entries
          .filter((e) => e.sequence >= fromSequence)
          .sort((a, b) => a.sequence - b.sequence)
          .slice(0, limit),
      );
    },
  };
}

function headOf(entries: AuditEntry[]): AuditHead {
  const last = entries.at(-1)!;
  return { lastSequence: last.sequence, lastHash: last.hash };
}

describe('verifyAuditTrail', () => {
  it('reads the whole chain in pages up to the head', async () => {
    const entries = chain(7);
    const trail = source(entries, headOf(entries));
    expect(await verifyAuditTrail(trail, 3)).toEqual({
      ok: true,
      checked: 7,
      lastSequence: 7,
      headHash: entries[6]!.hash,
    });
    expect(trail.reads).toEqual([
      [1, 3],
      [4, 3],
      [7, 1],
    ]);
  });

  it('verifies an empty trail, unless entries exist without a head', async () => {
    expect(await verifyAuditTrail(source([], null))).toEqual({
      ok: true,
      checked: 0,
      lastSequence: 0,
      headHash: GENESIS_PREV_HASH,
    });
    expect(await verifyAuditTrail(source(chain(2), null))).toEqual({
      ok: false,
      brokenAt: 1,
      reason: 'head_mismatch',
    });
  });

  it('ignores entries appended after the head was read', async () => {
    const entries = chain(5);
    const trail = source(entries, headOf(entries.slice(0, 3)));
    expect(await verifyAuditTrail(trail, 2)).toMatchObject({ ok: true, checked: 3, lastSequence: 3 });
  });

  it('finds entries missing at the end, and a head that names another hash', async () => {
    const entries = chain(5);
    expect(await verifyAuditTrail(source(entries.slice(0, 3), headOf(entries)), 2)).toEqual({
      ok: false,
      brokenAt: 4,
      reason: 'sequence_gap',
    });
    expect(await verifyAuditTrail(source(entries, { lastSequence: 5, lastHash: entries[3]!.hash }))).toEqual({
      ok: false,
      brokenAt: 5,
      reason: 'head_mismatch',
    });
  });

  it('starts after an anchor: the sequence after it, chained to its hash', async () => {
    const entries = chain(5);
    const anchor = { throughSequence: 2, lastHash: entries[1]!.hash };
    const trail = source(entries.slice(2), headOf(entries));
    expect(await verifyAuditTrail(trail, 2, anchor)).toEqual({
      ok: true,
      checked: 3,
      lastSequence: 5,
      headHash: entries[4]!.hash,
    });
    expect(trail.reads).toEqual([
      [3, 2],
      [5, 1],
    ]);
    expect(await verifyAuditTrail(trail, 2, { ...anchor, lastHash: entries[0]!.hash })).toEqual({
      ok: false,
      brokenAt: 3,
      reason: 'prev_hash_mismatch',
    });
    expect(await verifyAuditTrail(source(entries.slice(3), headOf(entries)), 2, anchor)).toEqual({
      ok: false,
      brokenAt: 3,
      reason: 'sequence_gap',
    });
    // Everything up to the head archived: the anchor is the head.
    expect(
      await verifyAuditTrail(source([], headOf(entries)), 2, {
        throughSequence: 5,
        lastHash: entries[4]!.hash,
      }),
    ).toEqual({
      ok: true,
      checked: 0,
      lastSequence: 5,
      headHash: entries[4]!.hash,
    });
    // An anchor with no head row: the head was removed.
    expect(await verifyAuditTrail(source(entries.slice(2), null), 2, anchor)).toEqual({
      ok: false,
      brokenAt: 3,
      reason: 'head_mismatch',
    });
  });

  it('stops at the first break, on whichever page it is', async () => {
    const entries = edit(chain(6), 4, (e) => ({ ...e, correlationId: 'edited' }));
    expect(await verifyAuditTrail(source(entries, headOf(entries)), 2)).toEqual({
      ok: false,
      brokenAt: 5,
      reason: 'hash_mismatch',
    });
    const gap = chain(6).filter((e) => e.sequence !== 3);
    expect(await verifyAuditTrail(source(gap, headOf(gap)), 2)).toEqual({
      ok: false,
      brokenAt: 3,
      reason: 'sequence_gap',
    });
  });
});
