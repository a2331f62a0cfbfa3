import { collectDefaultMetrics, Registry } from 'prom-client';

let processRegistry: Registry | undefined;

/**
 * The process metrics of prom-client (`process_*`, `nodejs_*`: CPU, memory, heap, event-loop lag, GC,
 * handles), in one registry per process: they describe the process, not an app, and their collectors
 * (a GC observer, an event-loop histogram) are made once however many apps the process builds.
 */
export function processMetricsRegistry(): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}
