import { ConfigError } from '../config-error.js';

/** Where spans go once tracing is on. */
export type TraceExporterKind = 'otlp' | 'console';

/** The sampler of OTEL_TRACES_SAMPLER, with its ratio for the `traceidratio` kinds. */
export interface TraceSamplerSettings {
  readonly kind:
    | 'always_on'
    | 'always_off'
    | 'traceidratio'
    | 'parentbased_always_on'
    | 'parentbased_always_off'
    | 'parentbased_traceidratio';
  /** OTEL_TRACES_SAMPLER_ARG for the ratio samplers, 0 to 1 (1 when unset). */
  readonly ratio: number;
}

/** Tracing as the standard `OTEL_*` environment asks for it. */
export interface TracingSettings {
  readonly serviceName: string;
  readonly exporters: readonly TraceExporterKind[];
  /** The OTLP/HTTP traces URL (`…/v1/traces`); used when `exporters` has `otlp`. */
  readonly otlpUrl: string;
  readonly otlpHeaders: Readonly<Record<string, string>>;
  readonly sampler: TraceSamplerSettings;
}

/** The service name spans carry unless OTEL_SERVICE_NAME says otherwise. */
export const DEFAULT_SERVICE_NAME = 'stella-orchestrator';

const DEFAULT_OTLP_BASE = 'http://localhost:4318';
const SAMPLERS: readonly TraceSamplerSettings['kind'][] = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
];

/**
 * Reads the standard OpenTelemetry variables and decides whether the orchestrator exports traces. The
 * rule (docs/decisions/0011-tracing.md): off unless asked —
 * - `OTEL_SDK_DISABLED=true` turns tracing off whatever else is set;
 * - `OTEL_TRACES_EXPORTER` (a comma list of `otlp`, `console`, `none`) turns it on with those exporters,
 *   or off when it is `none`;
 * - without it, setting `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or `OTEL_EXPORTER_OTLP_ENDPOINT` turns OTLP
 *   export on;
 * - anything else: off (the SDK default of exporting to localhost:4318 is not followed: a control plane
 *   does not open connections nobody asked for).
 *
 * @returns the settings, or `null` when tracing is off
 * @throws ConfigError for an unknown exporter or sampler, a ratio outside 0–1, or a malformed header list
 */
export function tracingSettingsFromEnv(env: NodeJS.ProcessEnv): TracingSettings | null {
  if (value(env, 'OTEL_SDK_DISABLED')?.toLowerCase() === 'true') return null;
  const exporters = exportersOf(env);
  if (exporters.length === 0) return null;
  return {
    serviceName: value(env, 'OTEL_SERVICE_NAME') ?? DEFAULT_SERVICE_NAME,
    exporters,
    otlpUrl: otlpUrlOf(env),
    otlpHeaders: {
      ...headersOf(env, 'OTEL_EXPORTER_OTLP_HEADERS'),
      ...headersOf(env, 'OTEL_EXPORTER_OTLP_TRACES_HEADERS'),
    },
    sampler: samplerOf(env),
  };
}

function value(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw === undefined || raw === '' ? undefined : raw;
}

function exportersOf(env: NodeJS.ProcessEnv): TraceExporterKind[] {
  const listed = value(env, 'OTEL_TRACES_EXPORTER');
  if (listed === undefined) {
    const endpoint =
      value(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') ?? value(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
    return endpoint === undefined ? [] : ['otlp'];
  }
  const names = [...new Set(listed.split(',').map((name) => name.trim().toLowerCase()))];
  for (const name of names) {
    if (name !== 'otlp' && name !== 'console' && name !== 'none') {
      throw new ConfigError('OTEL_TRACES_EXPORTER', `${name} is not otlp, console or none`);
    }
  }
  return names.includes('none') ? [] : (names as TraceExporterKind[]);
}

function otlpUrlOf(env: NodeJS.ProcessEnv): string {
  const traces = value(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const url =
    traces ??
    `${(value(env, 'OTEL_EXPORTER_OTLP_ENDPOINT') ?? DEFAULT_OTLP_BASE).replace(/\/+$/, '')}/v1/traces`;
  try {
    new URL(url);
  } catch {
    throw new ConfigError(
      traces === undefined ? 'OTEL_EXPORTER_OTLP_ENDPOINT' : 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
      'must be an absolute URL',
    );
  }
  return url;
}

/** `key1=value1,key2=value2`, values percent-encoded (the OTLP exporter specification). */
function headersOf(env: NodeJS.ProcessEnv, name: string): Record<string, string> {
  const listed = value(env, name);
  const headers: Record<string, string> = {};
  if (listed === undefined) return headers;
  for (const pair of listed.split(',')) {
    if (pair.trim() === '') continue;
    const eq = pair.indexOf('=');
    const key = pair.slice(0, eq).trim();
    if (eq <= 0 || key === '') throw new ConfigError(name, 'must be a list of key=value pairs');
    try {
      headers[key.toLowerCase()] = decodeURIComponent(pair.slice(eq + 1).trim());
    } catch {
      throw new ConfigError(name, `the value of ${key} is not percent-encoded correctly`);
    }
  }
  return headers;
}

function samplerOf(env: NodeJS.ProcessEnv): TraceSamplerSettings {
  const kind = (value(env, 'OTEL_TRACES_SAMPLER') ?? 'parentbased_always_on').toLowerCase();
  if (!(SAMPLERS as readonly string[]).includes(kind)) {
    throw new ConfigError('OTEL_TRACES_SAMPLER', `${kind} is not one of ${SAMPLERS.join(', ')}`);
  }
  const arg = value(env, 'OTEL_TRACES_SAMPLER_ARG');
  const ratio = arg === undefined || !kind.endsWith('traceidratio') ? 1 : Number(arg);
  if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1) {
    throw new ConfigError('OTEL_TRACES_SAMPLER_ARG', 'must be a number from 0 to 1');
  }
  return { kind: kind as TraceSamplerSettings['kind'], ratio };
}
