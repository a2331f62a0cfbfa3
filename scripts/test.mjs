#!/usr/bin/env node
// The README's test command. Builds (incrementally: the end-to-end suites run the built CLI, server and
// SDK as real processes), then runs every suite with vitest. Suites that need PostgreSQL say plainly when
// they are skipped; STELLA_ORCH_REQUIRE_SERVICES=1 (set by .ci/run) turns a skip into a failure.
// Extra arguments go to vitest.
import { spawnSync } from 'node:child_process';

function run(args) {
  const result = spawnSync(process.execPath, args, { stdio: 'inherit', env: process.env });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

run(['node_modules/typescript/bin/tsc', '-b', 'tsconfig.build.json']);
run(['node_modules/vitest/vitest.mjs', 'run', ...process.argv.slice(2)]);
