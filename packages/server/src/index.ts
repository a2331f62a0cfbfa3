export { API_PREFIX, buildApp, type AppDeps, type OrchestratorApp } from './app.js';
export {
  ConfigError,
  DEFAULT_CONFIG,
  loadConfig,
  validateConfig,
  type OrchestratorConfig,
} from './config.js';
export { LeaseReaper } from './lease-reaper.js';
export { EventHub, type EventHubDeps, type StreamRequest } from './events/event-hub.js';
export { EventRetention } from './events/event-retention.js';
export { DEFAULT_EVENTS_CONFIG, type EventsConfig } from './events-config.js';
export { DEFAULT_METRICS_CONFIG, type MetricsConfig } from './metrics-config.js';
export type {
  OrchestratorMetrics,
  StreamSubscribers,
  StreamTransport,
} from './metrics/orchestrator-metrics.js';
export { LeaseWaiter } from './lease-waiter.js';
export { toProblem, type Problem } from './problem.js';
export { startOrchestrator, type RunningOrchestrator } from './start.js';
export { systemClock, systemIds } from './system-ports.js';
export { tracerProviderOf } from './tracing/env-tracer-provider.js';
export { LEASE_SPAN_NAME, TRACE_ATTRIBUTES } from './tracing/request-tracing.js';
export { DEFAULT_SERVICE_NAME, tracingSettingsFromEnv, type TracingSettings } from './tracing/tracing-env.js';
export { generateClientSecret, ScryptSecretHasher } from './authority/scrypt-secret-hasher.js';
