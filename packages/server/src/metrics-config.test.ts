import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './config-error.js';
import { loadConfig, METRICS_TOKEN_VARIABLE } from './config.js';
import { DEFAULT_METRICS_CONFIG, validateMetricsConfig } from './metrics-config.js';

describe('validateMetricsConfig', () => {
  it('fills in the defaults: on, open, tenants labelled, 100 job types, 5 s of ledger cache', () => {
    expect(validateMetricsConfig(undefined)).toEqual({
      enabled: true,
      bearerToken: null,
      tenantLabels: true,
      maxJobTypeLabels: 100,
      ledgerCacheMs: 5_000,
    });
    expect(validateMetricsConfig({})).toEqual(DEFAULT_METRICS_CONFIG);
  });

  it('takes every key', () => {
    const config = {
      enabled: false,
      bearerToken: 'scrape-me-0123456789abcdef',
      tenantLabels: false,
      maxJobTypeLabels: 7,
      ledgerCacheMs: 0,
    };
    expect(validateMetricsConfig(config)).toEqual(config);
  });

  it.each([
    [[], 'metrics'],
    [{ enable: true }, 'metrics.enable'],
    [{ enabled: 'yes' }, 'metrics.enabled'],
    [{ bearerToken: 'short' }, 'metrics.bearerToken'],
    [{ bearerToken: 'has a space in it, so no' }, 'metrics.bearerToken'],
    [{ tenantLabels: 1 }, 'metrics.tenantLabels'],
    [{ maxJobTypeLabels: 0 }, 'metrics.maxJobTypeLabels'],
    [{ ledgerCacheMs: 1.5 }, 'metrics.ledgerCacheMs'],
  ])('refuses %j, naming %s', (value, key) => {
    let caught: unknown;
    try {
      validateMetricsConfig(value);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).key).toBe(key);
  });
});

describe('the metrics bearer token from the environment', () => {
  it('takes STELLA_ORCH_METRICS_TOKEN over the file, keeps the file’s other metrics keys, and checks it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stella-metrics-config-'));
    const file = join(dir, 'config.json');
    writeFileSync(
      file,
      JSON.stringify({ metrics: { bearerToken: 'from-the-file-0123456789', tenantLabels: false } }),
    );
    try {
      expect(loadConfig({ env: {} }).metrics.bearerToken).toBeNull();
      expect(loadConfig({ env: { [METRICS_TOKEN_VARIABLE]: 'from-the-env-0123456789' } }).metrics).toEqual({
        ...DEFAULT_METRICS_CONFIG,
        bearerToken: 'from-the-env-0123456789',
      });
      const both = loadConfig({
        configPath: file,
        env: { STELLA_ORCH_METRICS_TOKEN: 'from-the-env-0123456789' },
      });
      expect(both.metrics).toMatchObject({ bearerToken: 'from-the-env-0123456789', tenantLabels: false });
      expect(
        loadConfig({ configPath: file, env: { STELLA_ORCH_METRICS_TOKEN: '' } }).metrics.bearerToken,
      ).toBe('from-the-file-0123456789');
      expect(() => loadConfig({ env: { STELLA_ORCH_METRICS_TOKEN: 'short' } })).toThrow(ConfigError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
