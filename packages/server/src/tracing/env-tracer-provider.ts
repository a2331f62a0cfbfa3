import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type Sampler,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { TraceSamplerSettings, TracingSettings } from './tracing-env.js';

/**
 * The tracer provider of the settings: its own (never registered as the process's global one), with a
 * batching OTLP/HTTP exporter and/or a console exporter, the sampler asked for, and the service name.
 * Whoever makes it shuts it down (which flushes what is queued).
 */
export function tracerProviderOf(settings: TracingSettings): TracerProvider {
  const processors: SpanProcessor[] = settings.exporters.map((kind) =>
    kind === 'otlp'
      ? new BatchSpanProcessor({
          exporter: new OTLPTraceExporter({ url: settings.otlpUrl, headers: { ...settings.otlpHeaders } }),
        })
      : new SimpleSpanProcessor({ exporter: new ConsoleSpanExporter() }),
  );
  return new TracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: settings.serviceName }),
    sampler: samplerOf(settings.sampler),
    spanProcessors: processors,
  });
}

function samplerOf(settings: TraceSamplerSettings): Sampler {
  switch (settings.kind) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(settings.ratio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(settings.ratio) });
  }
}
