import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordingIo } from '../../test/test-io.js';
import { runCli } from '../run-cli.js';

// These run the real server and ledger (PGlite in a temporary directory).
describe('serve and migrate', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stella-orch-cli-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('serves until SIGINT, then closes gracefully and exits 0', async () => {
    const io = recordingIo({ HOST: '127.0.0.1', LOG_LEVEL: 'warn' }, dir);
    const exit = runCli(['--json', 'serve', '--port', '0', '--data-dir', 'ledger'], io);
    let exited = false;
    void exit.then(() => (exited = true));
    while (!io.stdoutText().includes('\n')) {
      if (exited) throw new Error(`serve exited early: ${io.stderrText()}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const { url, ledger } = JSON.parse(io.stdoutText()) as { url: string; ledger: string };

    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect(ledger).toBe(`PGlite in ${join(dir, 'ledger')}`);

    io.shutdown('SIGINT');
    expect(await exit).toBe(0);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    expect(io.stderrText()).toContain('SIGINT: shutting down');
  });

  it('exits 2 naming the key of a bad configuration file', async () => {
    await writeFile(join(dir, 'config.json'), JSON.stringify({ port: 'eighty' }));
    const io = recordingIo({}, dir);
    expect(await runCli(['serve', '--config', 'config.json'], io)).toBe(2);
    expect(io.stderrText()).toContain('port');
  });

  it('exits 2 on a database URL that is not a PostgreSQL URL', async () => {
    const io = recordingIo({}, dir);
    expect(await runCli(['migrate', '--database-url', 'mysql://x'], io)).toBe(2);
    expect(io.stderrText()).toContain('databaseUrl');
  });

  it('migrates a new ledger, then finds nothing to apply', async () => {
    const first = recordingIo({}, dir);
    expect(await runCli(['migrate', '--data-dir', 'ledger'], first)).toBe(0);
    expect(first.stdoutText()).toMatch(/schema version \d+: applied 1/);

    const second = recordingIo({}, dir);
    expect(await runCli(['--json', 'migrate', '--data-dir', 'ledger'], second)).toBe(0);
    expect(JSON.parse(second.stdoutText())).toMatchObject({ applied: [] });
  });
});
