import { describe, expect, it } from 'vitest';
import { computeAuditHash, GENESIS_PREV_HASH, sealAuditEntry, type AuditEntry } from './audit-entry.js';
import { auditNdjsonLine, checkAuditRange, Sha256Accumulator } from './audit-export.js';
import { sha256Digest } from './canonical-json.js';

const ENTRY: AuditEntry = sealAuditEntry({
  auditId: '00000000-0000-4000-8000-000000000001',
  tenantId: 't1',
  sequence: 1,
  occurredAt: '2030-01-01T00:00:00.000Z',
  actor: { subject: 'alice', clientId: null, scopes: [] },
  action: 'job.cancel',
  resourceType: 'job',
  resourceId: 'j1',
  after: { status: 'canceled' },
  ticket: 'OPS-1',
  correlationId: 'c',
  prevHash: GENESIS_PREV_HASH,
});

describe('auditNdjsonLine', () => {
  it('is the canonical JSON of the entry’s own fields and a newline, and re-hashes once parsed', () => {
    const line = auditNdjsonLine({ ...ENTRY, extra: 'not an entry field' } as AuditEntry);
    expect(line).toBe(
      '{"action":"job.cancel","actor":{"clientId":null,"scopes":[],"subject":"alice"},' +
        '"after":{"status":"canceled"},"auditId":"00000000-0000-4000-8000-000000000001",' +
        `"correlationId":"c","hash":"${ENTRY.hash}","occurredAt":"2030-01-01T00:00:00.000Z",` +
        `"prevHash":"${GENESIS_PREV_HASH}","resourceId":"j1","resourceType":"job","sequence":1,` +
        '"tenantId":"t1","ticket":"OPS-1"}\n',
    );
    const { hash, ...rest } = JSON.parse(line) as AuditEntry;
    expect(computeAuditHash(rest)).toBe(hash);
  });
});

describe('checkAuditRange', () => {
  const bounds = { firstSequence: 3, lastSequence: 9 };

  it('accepts a range inside the ledger, ends included', () => {
    expect(checkAuditRange({ fromSequence: 3, throughSequence: 9 }, bounds)).toEqual([]);
    expect(checkAuditRange({ fromSequence: 5, throughSequence: 5 }, bounds)).toEqual([]);
  });

  it('names each end that is not an integer ≥ 1, before anything else', () => {
    expect(checkAuditRange({ fromSequence: -1, throughSequence: Number.NaN }, bounds)).toEqual([
      { path: 'from_sequence', message: 'must be an integer ≥ 1' },
      { path: 'through_sequence', message: 'must be an integer ≥ 1' },
    ]);
  });

  it('refuses a reversed range, an archived start, an end past the head', () => {
    expect(checkAuditRange({ fromSequence: 2, throughSequence: 10 }, bounds)).toEqual([
      { path: 'from_sequence', message: 'entries before 3 are archived: the ledger starts at 3' },
      { path: 'through_sequence', message: 'must not pass the head (9)' },
    ]);
    expect(checkAuditRange({ fromSequence: 6, throughSequence: 4 }, bounds)).toEqual([
      { path: 'through_sequence', message: 'must not be less than from_sequence' },
    ]);
  });

  it('refuses any range when the ledger holds no entry', () => {
    expect(
      checkAuditRange({ fromSequence: 1, throughSequence: 0 }, { firstSequence: 1, lastSequence: 0 }),
    ).toEqual([{ path: 'through_sequence', message: 'the audit trail has no entry' }]);
    expect(
      checkAuditRange({ fromSequence: 6, throughSequence: 5 }, { firstSequence: 6, lastSequence: 5 }),
    ).toEqual([
      { path: 'through_sequence', message: 'the ledger holds no entry: everything through 5 is archived' },
    ]);
  });
});

describe('Sha256Accumulator', () => {
  it('digests pieces as the whole text', () => {
    const digest = new Sha256Accumulator();
    for (const piece of ['a\n', 'é\n', '']) digest.update(piece);
    expect(digest.digest()).toBe(sha256Digest('a\né\n'));
  });
});
