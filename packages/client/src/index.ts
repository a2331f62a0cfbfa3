/**
 * @stella-orch/client — the typed HTTP client of the Stella Orchestrator and the worker SDK. Only the
 * HTTP contract of docs/api.md, the platform's `fetch`, and the OpenTelemetry API (a no-op unless the
 * application registers a tracer provider).
 */
export * from './api-error.js';
export * from './audit-resources.js';
export * from './backfill-calls.js';
export * from './backfill-resources.js';
export * from './backoff.js';
export * from './circuit-calls.js';
export * from './circuit-resources.js';
export * from './client-credentials.js';
export * from './client-options.js';
export * from './client-resources.js';
export * from './dead-letter-resources.js';
export * from './event-stream.js';
export * from './source-resources.js';
export * from './slo-resources.js';
export * from './completion-batcher.js';
export * from './heartbeat-scheduler.js';
export * from './http-transport.js';
export * from './job-context.js';
export * from './job-errors.js';
export * from './job-handler.js';
export * from './job-outcome.js';
export * from './job-resources.js';
export * from './job-why-resources.js';
export * from './lease-resources.js';
export * from './limit-calls.js';
export * from './limit-resources.js';
export * from './logger.js';
export * from './orchestrator-client.js';
export * from './token-provider.js';
export * from './token-request-error.js';
export * from './trace-propagation.js';
export * from './worker.js';
export * from './worker-events.js';
export * from './worker-options.js';
