import type { JobStore, SourceStore } from '@stella-orch/core';
import { afterAll, beforeAll, describe } from 'vitest';
import { batchTests } from './job-store-batches.testsuite.js';
import { completionTests } from './job-store-completion.testsuite.js';
import type { ConformanceContext } from './job-store-fixtures.js';
import { dependencyTests } from './job-dependencies.testsuite.js';
import { jobWhyTests } from './job-why.testsuite.js';
import { gaugeTests } from './job-store-gauges.testsuite.js';
import { leasingTests } from './job-store-leasing.testsuite.js';
import { operationTests } from './job-store-operations.testsuite.js';
import { submissionTests } from './job-store-submission.testsuite.js';
import { traceContextTests } from './job-store-trace-context.testsuite.js';

/** Makes the store under test, and removes what it made. */
export type JobStoreFactory = () => Promise<{
  readonly store: JobStore;
  /** The source registry on the same ledger. */
  readonly sources: SourceStore;
  cleanup(): Promise<void>;
}>;

/**
 * The conformance suite of the {@link JobStore} port: every adapter must pass it unchanged. One store is
 * made per suite; every test works in a tenant of its own, so tests never see each other's jobs (the
 * lease reaper, which spans tenants, is checked on the test's own tenant only).
 *
 * @param name - the adapter under test, as the suite's title
 * @param factory - makes the store (called once, before the tests) and its cleanup (after them)
 */
export function jobStoreConformance(name: string, factory: JobStoreFactory): void {
  describe(`JobStore conformance: ${name}`, () => {
    let made: Awaited<ReturnType<JobStoreFactory>> | undefined;
    const ctx: ConformanceContext = {
      get store(): JobStore {
        if (made === undefined) throw new Error('the store under test was not made (see beforeAll)');
        return made.store;
      },
      get sources(): SourceStore {
        if (made === undefined) throw new Error('the store under test was not made (see beforeAll)');
        return made.sources;
      },
    };

    beforeAll(async () => {
      made = await factory();
    });
    afterAll(async () => {
      await made?.cleanup();
    });

    describe('submission', () => {
      submissionTests(ctx);
    });
    describe('leasing', () => {
      leasingTests(ctx);
    });
    describe('completion', () => {
      completionTests(ctx);
    });
    describe('batches', () => {
      batchTests(ctx);
    });
    describe('operations', () => {
      operationTests(ctx);
    });
    describe('gauges', () => {
      gaugeTests(ctx);
    });
    describe('dependencies', () => {
      dependencyTests(ctx);
    });
    describe('trace context', () => {
      traceContextTests(ctx);
    });
    describe('why', () => {
      jobWhyTests(ctx);
    });
  });
}
