import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Tests run on the TypeScript sources through the `@stella-orch/source` export condition: no build needed.
export default defineConfig({
  resolve: { conditions: ['@stella-orch/source'] },
  ssr: { resolve: { conditions: ['@stella-orch/source'] } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // One worker more than the cores (vitest's default is one fewer): many suites wait on PostgreSQL or child
    // processes. Measured on 2 cores: 474 s for the whole run with 3 workers against 813 s with 1.
    maxWorkers: availableParallelism() + 1,
    reporters: ['default'],
    coverage: {
      provider: 'v8',
      include: ['packages/core/src/**'],
      exclude: ['**/*.test.ts', '**/*.testsuite.ts'],
    },
  },
});
