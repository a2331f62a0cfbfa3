import {
  checkpointSigningInput,
  type NewSigningKey,
  type SigningKeyPurpose,
  type SigningKeyStore,
  type StoredSigningKey,
} from '@stella-orch/core';
import { createPublicKey, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  AUDIT_SIGNING_ALGORITHM,
  Ed25519AuditSigner,
  jwkThumbprint,
  newAuditSigningKey,
} from './ed25519-audit-signer.js';

/** Signing keys in memory, with the port's semantics, counting the calls it gets. */
function memoryKeyStore() {
  let keys: StoredSigningKey[] = [];
  const calls = { list: 0, ensure: 0, rotate: 0 };
  const store: SigningKeyStore = {
    listPublishedKeys: (purpose: SigningKeyPurpose) => {
      calls.list++;
      const of = keys.filter((k) => k.purpose === purpose);
      return Promise.resolve([
        ...of.filter((k) => k.state === 'active'),
        ...of.filter((k) => k.state === 'previous'),
      ]);
    },
    ensureActiveKey: (candidate: NewSigningKey) => {
      calls.ensure++;
      const active = keys.find((k) => k.purpose === candidate.purpose && k.state === 'active');
      if (active !== undefined) return Promise.resolve(active);
      const stored: StoredSigningKey = {
        ...candidate,
        state: 'active',
        createdAt: '2030-01-01T00:00:00.000Z',
      };
      keys.push(stored);
      return Promise.resolve(stored);
    },
    rotateKey: (candidate: NewSigningKey) => {
      calls.rotate++;
      keys = keys.map((k) =>
        k.purpose !== candidate.purpose ? k : { ...k, state: k.state === 'active' ? 'previous' : 'retired' },
      );
      keys.push({ ...candidate, state: 'active', createdAt: '2030-01-02T00:00:00.000Z' });
      return store.listPublishedKeys(candidate.purpose);
    },
  };
  return { store, calls, all: () => keys };
}

function manualClock() {
  let now = 0;
  return { nowMs: () => now, advance: (ms: number) => (now += ms) };
}

const CHECKPOINT = {
  tenantId: 't1',
  sequence: 3,
  headHash: `sha256:${'a'.repeat(64)}`,
  signedAt: '2030-01-01T00:00:00.000Z',
};

describe('newAuditSigningKey', () => {
  it('makes an Ed25519 pair whose id is the RFC 7638 thumbprint of its public key', () => {
    const key = newAuditSigningKey();
    expect(key).toMatchObject({ purpose: 'audit-checkpoint', algorithm: 'EdDSA' });
    expect(key.publicJwk).toEqual({
      kty: 'OKP',
      crv: 'Ed25519',
      x: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      kid: key.keyId,
      alg: AUDIT_SIGNING_ALGORITHM,
      use: 'sig',
    });
    expect(key.privateJwk).toMatchObject({
      kty: 'OKP',
      crv: 'Ed25519',
      x: key.publicJwk['x'],
      kid: key.keyId,
    });
    expect(key.privateJwk['d']).toEqual(expect.any(String));
    expect(key.keyId).toBe(jwkThumbprint(key.publicJwk as { crv: string; kty: string; x: string }));
    expect(newAuditSigningKey().keyId).not.toBe(key.keyId);
  });

  it('computes the thumbprint of RFC 8037’s example key as published there', () => {
    // RFC 8037 §A.3: the thumbprint of the Ed25519 public key of §A.2.
    expect(
      jwkThumbprint({ crv: 'Ed25519', kty: 'OKP', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' }),
    ).toBe('kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k');
  });
});

describe('Ed25519AuditSigner', () => {
  it('makes and stores a key on first use, signs with it, and anyone with the public JWK can verify', async () => {
    const keys = memoryKeyStore();
    const signer = new Ed25519AuditSigner({ keys: keys.store });
    const [first, second] = await Promise.all([
      signer.sign((keyId) => checkpointSigningInput({ ...CHECKPOINT, keyId })),
      signer.sign((keyId) => `other input of ${keyId}`),
    ]);
    expect(keys.calls).toEqual({ list: 1, ensure: 1, rotate: 0 });
    const [stored] = keys.all();
    expect(first.keyId).toBe(stored!.keyId);
    expect(second.keyId).toBe(stored!.keyId);
    expect(first.signature).toMatch(/^[A-Za-z0-9_-]{86}$/);
    const input = checkpointSigningInput({ ...CHECKPOINT, keyId: first.keyId });
    expect(await signer.verify(input, first.keyId, first.signature)).toBe(true);
    // Independently of the signer: node:crypto and the stored public JWK.
    const publicKey = createPublicKey({ key: stored!.publicJwk, format: 'jwk' });
    expect(verify(null, Buffer.from(input), publicKey, Buffer.from(first.signature, 'base64url'))).toBe(true);
  });

  it('refuses another input, another key id, a malformed signature', async () => {
    const keys = memoryKeyStore();
    const signer = new Ed25519AuditSigner({ keys: keys.store });
    const { keyId, signature } = await signer.sign(() => 'input');
    expect(await signer.verify('input!', keyId, signature)).toBe(false);
    expect(await signer.verify('input', 'unknown-kid', signature)).toBe(false);
    expect(await signer.verify('input', keyId, 'not a signature')).toBe(false);
    // The first character carries six whole bits of the first byte, so changing it always changes the signature.
    const altered = `${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
    expect(await signer.verify('input', keyId, altered)).toBe(false);
  });

  it('uses a key another replica stored, and verifies what the other replica signs', async () => {
    const keys = memoryKeyStore();
    const a = new Ed25519AuditSigner({ keys: keys.store });
    const b = new Ed25519AuditSigner({ keys: keys.store });
    const fromA = await a.sign(() => 'x');
    const fromB = await b.sign(() => 'x');
    expect(fromB.keyId).toBe(fromA.keyId);
    expect(keys.all()).toHaveLength(1);
    expect(await b.verify('x', fromA.keyId, fromA.signature)).toBe(true);
  });

  it('picks up a rotation after the TTL, and still verifies with the previous key', async () => {
    const keys = memoryKeyStore();
    const clock = manualClock();
    const signer = new Ed25519AuditSigner({ keys: keys.store, clock }, { activeKeyTtlMs: 1_000 });
    const old = await signer.sign(() => 'x');
    await keys.store.rotateKey(newAuditSigningKey());
    clock.advance(999);
    expect((await signer.sign(() => 'x')).keyId).toBe(old.keyId);
    clock.advance(1);
    const rotated = await signer.sign(() => 'x');
    expect(rotated.keyId).not.toBe(old.keyId);
    expect(await signer.verify('x', old.keyId, old.signature)).toBe(true);
    expect(await signer.verify('x', rotated.keyId, rotated.signature)).toBe(true);
    // A key rotated in by another replica verifies here once looked up (an unknown kid reloads the keys).
    const other = new Ed25519AuditSigner({ keys: keys.store });
    await keys.store.rotateKey(newAuditSigningKey());
    const fresh = await other.sign(() => 'y');
    expect(await signer.verify('y', fresh.keyId, fresh.signature)).toBe(true);
  });

  it('tries again after a failed key lookup', async () => {
    const keys = memoryKeyStore();
    let fail = true;
    const flaky: SigningKeyStore = {
      ...keys.store,
      listPublishedKeys: (purpose) =>
        fail ? Promise.reject(new Error('ledger down')) : keys.store.listPublishedKeys(purpose),
    };
    const signer = new Ed25519AuditSigner({ keys: flaky });
    await expect(signer.sign(() => 'x')).rejects.toThrow('ledger down');
    fail = false;
    expect((await signer.sign(() => 'x')).keyId).toBe(keys.all()[0]!.keyId);
  });
});
