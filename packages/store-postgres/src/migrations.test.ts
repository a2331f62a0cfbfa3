import { readdir, readFile } from 'node:fs/promises';
import { expect, test } from 'vitest';
import { EMBEDDED_MIGRATIONS } from './migrations.generated.js';

const dir = new URL('./migrations/', import.meta.url);

test('migrations.generated.ts embeds exactly the .sql files (run `npm run embed-migrations -w @stella-orch/store-postgres`)', async () => {
  const files = (await readdir(dir)).filter((name) => name.endsWith('.sql')).sort();
  const onDisk = await Promise.all(
    files.map(async (file) => {
      const match = /^(\d{6})_([a-z0-9_]+)\.sql$/.exec(file);
      expect(match, `${file} is named NNNNNN_name.sql`).not.toBeNull();
      return { version: Number(match![1]), name: match![2], sql: await readFile(new URL(file, dir), 'utf8') };
    }),
  );
  expect(EMBEDDED_MIGRATIONS).toEqual(onDisk);
  expect(onDisk.map((m) => m.version)).toEqual(onDisk.map((_, i) => i + 1));
});
