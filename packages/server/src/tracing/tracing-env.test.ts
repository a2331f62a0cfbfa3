import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config-error.js';
import { tracerProviderOf } from './env-tracer-provider.js';
import { DEFAULT_SERVICE_NAME, tracingSettingsFromEnv } from './tracing-env.js';

describe('tracingSettingsFromEnv', () => {
  it('is off unless the environment asks for an exporter', () => {
    expect(tracingSettingsFromEnv({})).toBeNull();
    expect(
      tracingSettingsFromEnv({ OTEL_SERVICE_NAME: 'orch', OTEL_TRACES_SAMPLER: 'always_on' }),
    ).toBeNull();
    expect(tracingSettingsFromEnv({ OTEL_TRACES_EXPORTER: 'none' })).toBeNull();
    expect(tracingSettingsFromEnv({ OTEL_TRACES_EXPORTER: '' })).toBeNull();
  });

  it('turns OTLP export on for OTEL_TRACES_EXPORTER=otlp or an OTLP endpoint', () => {
    expect(tracingSettingsFromEnv({ OTEL_TRACES_EXPORTER: 'otlp' })).toEqual({
      serviceName: DEFAULT_SERVICE_NAME,
      exporters: ['otlp'],
      otlpUrl: 'http://localhost:4318/v1/traces',
      otlpHeaders: {},
      sampler: { kind: 'parentbased_always_on', ratio: 1 },
    });
    expect(tracingSettingsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })).toMatchObject({
      exporters: ['otlp'],
      otlpUrl: 'http://collector:4318/v1/traces',
    });
    expect(
      tracingSettingsFromEnv({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/custom',
      }),
    ).toMatchObject({ otlpUrl: 'https://traces.example/custom' });
  });

  it('reads service name, sampler, console exporter and headers', () => {
    expect(
      tracingSettingsFromEnv({
        OTEL_TRACES_EXPORTER: 'console, otlp',
        OTEL_SERVICE_NAME: 'orch-eu-1',
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '0.25',
        OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Bearer%20abc,x-team=orch',
        OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-team=traces',
      }),
    ).toEqual({
      serviceName: 'orch-eu-1',
      exporters: ['console', 'otlp'],
      otlpUrl: 'http://localhost:4318/v1/traces',
      otlpHeaders: { authorization: 'Bearer abc', 'x-team': 'traces' },
      sampler: { kind: 'parentbased_traceidratio', ratio: 0.25 },
    });
  });

  it('is off when OTEL_SDK_DISABLED=true, whatever else is set', () => {
    expect(tracingSettingsFromEnv({ OTEL_SDK_DISABLED: 'TRUE', OTEL_TRACES_EXPORTER: 'otlp' })).toBeNull();
    expect(
      tracingSettingsFromEnv({ OTEL_SDK_DISABLED: 'false', OTEL_TRACES_EXPORTER: 'otlp' }),
    ).not.toBeNull();
  });

  it('refuses what it cannot use, naming the variable', () => {
    const refusals: [NodeJS.ProcessEnv, string][] = [
      [{ OTEL_TRACES_EXPORTER: 'jaeger' }, 'OTEL_TRACES_EXPORTER'],
      [{ OTEL_TRACES_EXPORTER: 'otlp', OTEL_TRACES_SAMPLER: 'sometimes' }, 'OTEL_TRACES_SAMPLER'],
      [
        { OTEL_TRACES_EXPORTER: 'otlp', OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '2' },
        'OTEL_TRACES_SAMPLER_ARG',
      ],
      [{ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_HEADERS: 'novalue' }, 'OTEL_EXPORTER_OTLP_HEADERS'],
      [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'not a url' }, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'],
    ];
    for (const [env, variable] of refusals) {
      expect(() => tracingSettingsFromEnv(env), variable).toThrow(ConfigError);
      expect(() => tracingSettingsFromEnv(env), variable).toThrow(variable);
    }
  });
});

describe('tracerProviderOf', () => {
  it('builds a provider that follows the sampler asked for', async () => {
    const off = tracerProviderOf({
      ...tracingSettingsFromEnv({ OTEL_TRACES_EXPORTER: 'console' })!,
      sampler: { kind: 'always_off', ratio: 1 },
    });
    const span = off.getTracer('t').startSpan('x');
    expect(span.isRecording()).toBe(false);
    span.end();
    await off.shutdown();
  });
});
