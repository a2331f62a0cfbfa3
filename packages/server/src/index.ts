export { API_PREFIX, buildApp, type AppDeps, type OrchestratorApp } from './app.js';
export {
  ConfigError,
  DEFAULT_CONFIG,
  loadConfig,
  validateConfig,
  type OrchestratorConfig,
} from './config.js';
export { LeaseReaper } from './lease-reaper.js';
export { LeaseWaiter } from './lease-waiter.js';
export { toProblem, type Problem } from './problem.js';
export { startOrchestrator, type RunningOrchestrator } from './start.js';
export { systemClock, systemIds } from './system-ports.js';
export { generateClientSecret, ScryptSecretHasher } from './authority/scrypt-secret-hasher.js';
