import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from './config.js';

// The README lists every configuration key with its default; this keeps that list true.
describe('the README’s configuration block', () => {
  it('is exactly the defaults the server starts with', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Configuration'));
    const block = /```json\n([\s\S]*?)\n```/.exec(section)?.[1];
    expect(block, 'a ```json block under ## Configuration').toBeDefined();
    expect(JSON.parse(block ?? 'null')).toEqual(JSON.parse(JSON.stringify(DEFAULT_CONFIG)));
  });
});
