import { sha256Digest } from '@stella-orch/core';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileDigest, writeFileDurably } from './archive-files.js';

describe('writeFileDurably and fileDigest', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stella-files-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function* pieces(...texts: string[]): AsyncIterable<string> {
    for (const text of texts) yield await Promise.resolve(text);
  }

  it('writes text whole or in pieces, making the directory, replacing a file of the same name', async () => {
    const path = join(dir, 'tenant', '1-2.ndjson');
    await writeFileDurably(path, pieces('a\n', 'é\n'));
    expect(await readFile(path, 'utf8')).toBe('a\né\n');
    expect(await fileDigest(path)).toBe(sha256Digest('a\né\n'));
    await writeFileDurably(path, 'b\n');
    expect(await readFile(path, 'utf8')).toBe('b\n');
    expect(await readdir(join(dir, 'tenant'))).toEqual(['1-2.ndjson']);
  });

  it('leaves neither the file nor a temporary one when the text fails half-way', async () => {
    async function* failing(): AsyncIterable<string> {
      yield 'a\n';
      await Promise.reject(new Error('ledger down'));
    }
    const path = join(dir, 'failing', '1-2.ndjson');
    await expect(writeFileDurably(path, failing())).rejects.toThrow('ledger down');
    expect(await readdir(join(dir, 'failing'))).toEqual([]);
  });
});
