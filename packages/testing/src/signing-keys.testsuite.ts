import { randomBytes, randomUUID } from 'node:crypto';
import type { NewSigningKey, SigningKeyPurpose, SigningKeyStore } from '@stella-orch/core';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { rejection, type LedgerSql } from './audit-fixtures.js';
import { expectCode } from './job-store-fixtures.js';

/** A second store on the same database, as another replica would open it. */
export interface SecondSigningKeyStore {
  readonly keys: SigningKeyStore;
  close(): Promise<void>;
}

/**
 * Makes the store under test, raw SQL on its database, and the cleanup; `openSecond`, when the engine is
 * shared across processes, opens another store on the same database (a second replica).
 */
export type SigningKeyStoreFactory = () => Promise<{
  readonly keys: SigningKeyStore;
  readonly sql: LedgerSql;
  readonly openSecond?: () => Promise<SecondSigningKeyStore>;
  cleanup(): Promise<void>;
}>;

/** What each test gets. */
interface SigningKeyContext {
  readonly keys: SigningKeyStore;
  readonly sql: LedgerSql;
  readonly openSecond: (() => Promise<SecondSigningKeyStore>) | undefined;
}

/** A made-up key pair (the store keeps JWKs without using them). */
function candidate(purpose: SigningKeyPurpose = 'token'): NewSigningKey {
  const keyId = `key-${randomUUID()}`;
  const x = randomBytes(32).toString('base64url');
  const algorithm = purpose === 'token' ? 'ES256' : 'EdDSA';
  const publicJwk =
    purpose === 'token'
      ? { kty: 'EC', crv: 'P-256', x, y: randomBytes(32).toString('base64url'), kid: keyId, alg: algorithm }
      : { kty: 'OKP', crv: 'Ed25519', x, kid: keyId, alg: algorithm };
  return {
    keyId,
    purpose,
    algorithm,
    publicJwk,
    privateJwk: { ...publicJwk, d: randomBytes(32).toString('base64url') },
  };
}

async function states(ctx: SigningKeyContext, purpose: SigningKeyPurpose): Promise<Record<string, string>> {
  const rows = await ctx.sql.query<{ key_id: string; state: string }>(
    'SELECT key_id, state FROM orch.signing_keys WHERE purpose = $1',
    [purpose],
  );
  return Object.fromEntries(rows.map((r) => [r.key_id, r.state]));
}

/**
 * The conformance suite of the {@link SigningKeyStore} port: one active key per purpose even when
 * replicas ask at once, rotations that move active → previous → retired in one step, and a database that
 * never holds two active (or two previous) keys of a purpose. The store is made once; every test starts
 * from an empty key table (the suite deletes the keys before each test).
 *
 * @param name - the adapter under test, as the suite's title
 * @param factory - makes the store (called once, before the tests) and the cleanup (after them)
 */
export function signingKeyStoreConformance(name: string, factory: SigningKeyStoreFactory): void {
  describe(`SigningKeyStore conformance: ${name}`, () => {
    let made: Awaited<ReturnType<SigningKeyStoreFactory>> | undefined;
    const need = () => {
      if (made === undefined) throw new Error('the store under test was not made (see beforeAll)');
      return made;
    };
    const ctx: SigningKeyContext = {
      get keys() {
        return need().keys;
      },
      get sql() {
        return need().sql;
      },
      get openSecond() {
        return need().openSecond;
      },
    };
    beforeAll(async () => {
      made = await factory();
    });
    beforeEach(async () => {
      await need().sql.query('DELETE FROM orch.signing_keys');
    });
    afterAll(async () => {
      await made?.cleanup();
    });

    signingKeyTests(ctx);
  });
}

function signingKeyTests(ctx: SigningKeyContext): void {
  test('the first key of a purpose becomes active and stays so; later candidates are not stored', async () => {
    expect(await ctx.keys.listPublishedKeys('token')).toEqual([]);
    const first = candidate('token');
    const active = await ctx.keys.ensureActiveKey(first);
    expect(active).toEqual({ ...first, state: 'active', createdAt: expect.any(String) });
    expect(Date.parse(active.createdAt)).not.toBeNaN();

    const later = candidate('token');
    expect(await ctx.keys.ensureActiveKey(later)).toEqual(active);
    expect(await ctx.keys.listPublishedKeys('token')).toEqual([active]);
    expect(Object.keys(await states(ctx, 'token'))).toEqual([first.keyId]);
  });

  test('purposes are independent', async () => {
    const token = await ctx.keys.ensureActiveKey(candidate('token'));
    expect(await ctx.keys.listPublishedKeys('audit-checkpoint')).toEqual([]);
    const checkpoint = await ctx.keys.ensureActiveKey(candidate('audit-checkpoint'));
    expect(checkpoint).toMatchObject({ purpose: 'audit-checkpoint', algorithm: 'EdDSA', state: 'active' });
    expect(await ctx.keys.listPublishedKeys('token')).toEqual([token]);
    expect(await ctx.keys.listPublishedKeys('audit-checkpoint')).toEqual([checkpoint]);
  });

  test('replicas ensuring a key at once end with one active key, the same for all', async () => {
    const second = await ctx.openSecond?.();
    try {
      const stores = second === undefined ? [ctx.keys] : [ctx.keys, second.keys];
      const candidates = Array.from({ length: 8 }, () => candidate('audit-checkpoint'));
      const answers = await Promise.all(
        candidates.map((c, i) => stores[i % stores.length]!.ensureActiveKey(c)),
      );
      expect(new Set(answers.map((k) => k.keyId)).size).toBe(1);
      expect(candidates.map((c) => c.keyId)).toContain(answers[0]!.keyId);
      expect(await ctx.keys.listPublishedKeys('audit-checkpoint')).toEqual([answers[0]]);
      expect(Object.values(await states(ctx, 'audit-checkpoint'))).toEqual(['active']);
    } finally {
      await second?.close();
    }
  });

  test('a rotation makes the candidate active, the active key previous and the previous one retired', async () => {
    const k1 = await ctx.keys.ensureActiveKey(candidate('token'));
    const k2 = candidate('token');
    const afterFirst = await ctx.keys.rotateKey(k2);
    expect(afterFirst).toEqual([
      { ...k2, state: 'active', createdAt: expect.any(String) },
      { ...k1, state: 'previous' },
    ]);
    expect(await ctx.keys.listPublishedKeys('token')).toEqual(afterFirst);

    const k3 = candidate('token');
    const afterSecond = await ctx.keys.rotateKey(k3);
    expect(afterSecond.map((k) => [k.keyId, k.state])).toEqual([
      [k3.keyId, 'active'],
      [k2.keyId, 'previous'],
    ]);
    expect(await states(ctx, 'token')).toEqual({
      [k1.keyId]: 'retired',
      [k2.keyId]: 'previous',
      [k3.keyId]: 'active',
    });
    // ensureActiveKey keeps the rotated-in key.
    expect(await ctx.keys.ensureActiveKey(candidate('token'))).toEqual(afterSecond[0]);
  });

  test('rotating a purpose without keys makes the candidate its only key', async () => {
    const k = candidate('audit-checkpoint');
    expect(await ctx.keys.rotateKey(k)).toEqual([{ ...k, state: 'active', createdAt: expect.any(String) }]);
  });

  test('concurrent rotations run one after another: one active, one previous, the rest retired', async () => {
    await ctx.keys.ensureActiveKey(candidate('token'));
    const second = await ctx.openSecond?.();
    try {
      const stores = second === undefined ? [ctx.keys] : [ctx.keys, second.keys];
      const candidates = Array.from({ length: 6 }, () => candidate('token'));
      await Promise.all(candidates.map((c, i) => stores[i % stores.length]!.rotateKey(c)));
    } finally {
      await second?.close();
    }
    const all = Object.values(await states(ctx, 'token')).sort();
    expect(all).toEqual(['active', 'previous', 'retired', 'retired', 'retired', 'retired', 'retired']);
    expect((await ctx.keys.listPublishedKeys('token')).map((k) => k.state)).toEqual(['active', 'previous']);
  });

  test('a taken key id is VALIDATION_FAILED and changes nothing', async () => {
    const k1 = await ctx.keys.ensureActiveKey(candidate('token'));
    const k2 = (await ctx.keys.rotateKey(candidate('token')))[0]!;
    await expectCode(ctx.keys.rotateKey({ ...candidate('token'), keyId: k1.keyId }), 'VALIDATION_FAILED');
    expect(await ctx.keys.listPublishedKeys('token')).toEqual([k2, { ...k1, state: 'previous' }]);
    await expectCode(
      ctx.keys.ensureActiveKey({ ...candidate('audit-checkpoint'), keyId: k1.keyId }),
      'VALIDATION_FAILED',
    );
    expect(await ctx.keys.listPublishedKeys('audit-checkpoint')).toEqual([]);
  });

  test('the database keeps at most one active and one previous key per purpose', async () => {
    await ctx.keys.ensureActiveKey(candidate('token'));
    await ctx.keys.rotateKey(candidate('token'));
    const insert = (state: string) => {
      const k = candidate('token');
      return ctx.sql.query(
        `INSERT INTO orch.signing_keys (key_id, purpose, algorithm, public_jwk, private_jwk, state)
         VALUES ($1, 'token', 'ES256', $2::text::jsonb, $3::text::jsonb, $4)`,
        [k.keyId, JSON.stringify(k.publicJwk), JSON.stringify(k.privateJwk), state],
      );
    };
    expect(await rejection(insert('active'))).toMatch(/signing_keys_published/);
    expect(await rejection(insert('previous'))).toMatch(/signing_keys_published/);
    expect(await rejection(insert('expired'))).toMatch(/signing_keys_state_check/);
    await insert('retired');
    await insert('retired');
    expect((await ctx.keys.listPublishedKeys('token')).map((k) => k.state)).toEqual(['active', 'previous']);
  });
}
