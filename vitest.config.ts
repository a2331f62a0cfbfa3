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
    reporters: ['default'],
    coverage: {
      provider: 'v8',
      include: ['packages/core/src/**'],
      exclude: ['**/*.test.ts', '**/*.testsuite.ts'],
    },
  },
});
