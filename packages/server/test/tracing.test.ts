import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { context, SpanKind, trace } from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace';
import { OrchestratorClient, Worker, type Job, type JobTrace } from '@stella-orch/client';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEASE_SPAN_NAME, TRACE_ATTRIBUTES } from '../src/index.js';
import { ledgerEngines, startHarness, startHarnessOn, type Harness } from './harness.js';

// One trace from a producer through the orchestrator to an SDK worker: each side has its own tracer
// provider and in-memory exporter, as three processes would, and only W3C headers and the ledger join
// them.

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${PARENT_ID}-01`;
const API = '/api/v1/orchestrator';

/** A tracer provider that keeps every ended span in memory. */
function memoryProvider(): { provider: TracerProvider; exporter: InMemorySpanExporter } {
  const exporter = new InMemorySpanExporter();
  return {
    provider: new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }),
    exporter,
  };
}

function spanNamed(
  exporter: InMemorySpanExporter,
  name: string,
  test: (s: ReadableSpan) => boolean = () => true,
) {
  return exporter.getFinishedSpans().find((s) => s.name === name && test(s));
}

/** Waits (up to 10 s) until `find` finds something: server spans end after their answer is sent. */
async function eventually<T>(find: () => T | undefined): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const found = find();
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('gave up waiting');
}

const contextManager = new AsyncLocalStorageContextManager();
beforeAll(() => {
  // The producer's active span reaches the client's calls the way an application's would.
  context.setGlobalContextManager(contextManager.enable());
});
afterAll(() => {
  context.disable();
});

describe.each(await ledgerEngines('tracing'))('distributed tracing on %s', (engine) => {
  const server = memoryProvider();
  const logLines: Record<string, unknown>[] = [];
  let h: Harness;
  let baseUrl: string;
  beforeAll(async () => {
    h = await startHarnessOn(engine, {
      tracerProvider: server.provider,
      leasePollIntervalMs: 50,
      logStream: { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) },
    });
    baseUrl = await h.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    // fetch keeps a connection open that the server does not count as idle: cut it, or closing waits.
    h.app.server.closeAllConnections();
    await h.close();
  });

  it('joins producer, orchestrator and worker spans in one trace', async () => {
    const tenant = h.newTenant();
    const jobType = `trace.${randomUUID().slice(0, 8)}`;
    const token = await h.tokenFor({ tenant, scopes: ['orch:submit', 'orch:read', 'orch:worker'] });
    const client = new OrchestratorClient({ baseUrl, accessToken: token, tenant });
    const producer = memoryProvider();
    const workerSide = memoryProvider();

    // The producer submits inside its own span.
    const submitted = await producer.provider
      .getTracer('producer')
      .startActiveSpan('produce advisories', async (span) => {
        try {
          return await client.submitJob({ jobType, payload: { n: 1 } });
        } finally {
          span.end();
        }
      });
    const producerSpan = spanNamed(producer.exporter, 'produce advisories')!;
    const traceId = producerSpan.spanContext().traceId;

    // The orchestrator's POST /jobs span is its child, and the job keeps the submit span's context.
    const submitSpan = await eventually(() =>
      spanNamed(server.exporter, `POST ${API}/jobs`, (s) => s.spanContext().traceId === traceId),
    );
    expect(submitSpan.kind).toBe(SpanKind.SERVER);
    expect(submitSpan.parentSpanContext?.spanId).toBe(producerSpan.spanContext().spanId);
    expect(submitSpan.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': `${API}/jobs`,
      'http.response.status_code': 201,
      [TRACE_ATTRIBUTES.tenantId]: tenant,
    });
    const stored = `00-${traceId}-${submitSpan.spanContext().spanId}-01`;
    expect(submitted.traceparent).toBe(stored);
    expect((await client.getJob(submitted.jobId)).traceparent).toBe(stored);

    // A worker leases it: the lease span and the worker's run span hang under the submit span.
    const seen: { job: Job; trace: JobTrace }[] = [];
    const worker = new Worker({
      client,
      jobTypes: [jobType],
      pollWaitMs: 200,
      tracerProvider: workerSide.provider,
      handler: (job, ctx) => {
        seen.push({ job, trace: ctx.trace });
        return { done: true };
      },
    });
    const running = worker.start();
    const done = await eventually(() => spanNamed(workerSide.exporter, 'orch.job.run'));
    await worker.stop();
    await running;

    expect(seen).toHaveLength(1);
    expect(seen[0]!.job.traceparent).toBe(stored);
    const leaseSpan = await eventually(() =>
      spanNamed(
        server.exporter,
        LEASE_SPAN_NAME,
        (s) => s.attributes[TRACE_ATTRIBUTES.jobId] === submitted.jobId,
      ),
    );
    expect(leaseSpan.spanContext().traceId).toBe(traceId);
    expect(leaseSpan.parentSpanContext?.spanId).toBe(submitSpan.spanContext().spanId);
    expect(leaseSpan.attributes).toMatchObject({
      [TRACE_ATTRIBUTES.jobType]: jobType,
      [TRACE_ATTRIBUTES.attempt]: 1,
      [TRACE_ATTRIBUTES.workerId]: worker.workerId,
    });
    const leaseRequest = spanNamed(server.exporter, `POST ${API}/leases`, (s) =>
      leaseSpan.links.some((l) => l.context.spanId === s.spanContext().spanId),
    );
    expect(leaseRequest).toBeDefined();

    expect(done.kind).toBe(SpanKind.CONSUMER);
    expect(done.spanContext().traceId).toBe(traceId);
    expect(done.parentSpanContext?.spanId).toBe(submitSpan.spanContext().spanId);
    expect(done.parentSpanContext?.isRemote).toBe(true);
    expect(done.attributes).toMatchObject({
      'orch.job.id': submitted.jobId,
      'orch.job.type': jobType,
      'orch.job.attempt': 1,
      'orch.job.outcome': 'succeeded',
    });
    expect(seen[0]!.trace.traceparent).toBe(`00-${traceId}-${done.spanContext().spanId}-01`);

    // The worker's completion carries the run span's context: its server span is the run span's child.
    const complete = await eventually(() =>
      spanNamed(
        server.exporter,
        `POST ${API}/leases/:leaseId/complete`,
        (s) => s.spanContext().traceId === traceId,
      ),
    );
    expect(complete.parentSpanContext?.spanId).toBe(done.spanContext().spanId);
    expect((await client.getJob(submitted.jobId)).status).toBe('succeeded');
  });

  it('ignores an invalid traceparent: the job gets a fresh trace, and so does a job without one', async () => {
    h.newTenant();
    for (const headers of [
      { traceparent: `00-${'0'.repeat(32)}-${PARENT_ID}-01` },
      { traceparent: 'garbage' },
      {},
    ]) {
      const jobType = `fresh.${randomUUID().slice(0, 8)}`;
      const response = await h.call('POST', '/jobs', { jobType }, headers);
      expect(response.statusCode).toBe(201);
      const job = response.json<Job>();
      expect(job.traceparent).toMatch(/^00-[\da-f]{32}-[\da-f]{16}-01$/);
      expect(job.traceparent).not.toContain('0'.repeat(32));
      const submitSpan = await eventually(() =>
        spanNamed(
          server.exporter,
          `POST ${API}/jobs`,
          (s) => job.traceparent === `00-${s.spanContext().traceId}-${s.spanContext().spanId}-01`,
        ),
      );
      expect(submitSpan.parentSpanContext).toBeUndefined();

      // The lease answer hands the context to the worker.
      const leased = await h.call('POST', '/leases', { workerId: 'w', jobTypes: [jobType] });
      expect(leased.statusCode).toBe(200);
      const [grant] = leased.json<{ leases: { job: Job }[] }>().leases;
      expect(grant!.job.traceparent).toBe(job.traceparent);
    }
  });

  it('keeps tracestate, and gives problem documents and log lines the request’s trace id', async () => {
    h.newTenant();
    const response = await h.call(
      'POST',
      '/jobs',
      { jobType: 'state.kept' },
      { traceparent: TRACEPARENT, tracestate: 'congo=t61rcWkgMzE, rojo=00f067aa0ba902b7' },
    );
    const job = response.json<Job>();
    expect(job.traceparent).toMatch(new RegExp(`^00-${TRACE_ID}-[\\da-f]{16}-01$`));
    expect(job.traceparent).not.toBe(TRACEPARENT);
    expect(job.tracestate).toBe('congo=t61rcWkgMzE,rojo=00f067aa0ba902b7');

    const missing = await h.call('GET', `/jobs/${randomUUID()}`, undefined, { traceparent: TRACEPARENT });
    expect(missing.statusCode).toBe(404);
    expect(missing.json<{ traceId: string }>().traceId).toBe(TRACE_ID);

    // Every line of a request carries its trace id, the incoming one or the one its span started.
    const unparented = await h.call('POST', '/jobs', { jobType: 'state.fresh' });
    const freshTraceId = unparented.json<Job>().traceparent!.slice(3, 35);
    const linesOf = (traceId: string) => logLines.filter((line) => line['traceId'] === traceId);
    for (const traceId of [TRACE_ID, freshTraceId]) {
      expect(linesOf(traceId).map((line) => line['msg'])).toEqual(
        expect.arrayContaining(['incoming request', 'request completed']),
      );
    }
    expect(linesOf(freshTraceId).find((line) => line['msg'] === 'request completed')).toMatchObject({
      tenantId: h.tenant,
      res: { statusCode: 201 },
    });
  });
});

describe('without a tracer provider', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('makes no span but passes a valid traceparent on to the job, and stores nothing without one', async () => {
    const passed = await h.call('POST', '/jobs', { jobType: 'plain' }, { traceparent: ` ${TRACEPARENT} ` });
    expect(passed.json<Job>().traceparent).toBe(TRACEPARENT);
    const plain = await h.call('POST', '/jobs', { jobType: 'plain' }, { traceparent: 'ff-nope' });
    expect(plain.json<Job>()).not.toHaveProperty('traceparent');
    expect(trace.getActiveSpan()).toBeUndefined();

    const missing = await h.call('GET', `/jobs/${randomUUID()}`);
    const problem = missing.json<{ traceId: string }>();
    expect(problem.traceId).toMatch(/^[\da-f-]{36}$/);
    const traced = await h.call('GET', `/jobs/${randomUUID()}`, undefined, { traceparent: TRACEPARENT });
    expect(traced.json<{ traceId: string }>().traceId).toBe(TRACE_ID);
  });
});
