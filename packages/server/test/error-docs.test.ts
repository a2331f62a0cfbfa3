import { ERROR_CATALOGUE } from '@stella-orch/core';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('docs/errors.md', () => {
  it('documents every error code of the catalogue with its HTTP status, and nothing else', () => {
    const text = readFileSync(resolve(import.meta.dirname, '../../../docs/errors.md'), 'utf8');
    const documented = new Map<string, number>();
    for (const match of text.matchAll(/^\| `([A-Z_]+)` +\| (\d{3}) +\|/gm))
      documented.set(match[1]!, Number(match[2]));
    const catalogue = new Map(Object.entries(ERROR_CATALOGUE).map(([code, entry]) => [code, entry.status]));
    expect(Object.fromEntries(documented)).toEqual(Object.fromEntries(catalogue));
  });
});
