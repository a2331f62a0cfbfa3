import { describe, expect, it } from 'vitest';
import { ConfigError } from './config-error.js';
import { DEFAULT_CONFIG, validateConfig } from './config.js';

describe('databasePoolSize', () => {
  it('defaults to 10 connections and takes 1 to 1,000', () => {
    expect(validateConfig({ ...DEFAULT_CONFIG }).databasePoolSize).toBe(10);
    expect(validateConfig({ ...DEFAULT_CONFIG, databasePoolSize: 40 }).databasePoolSize).toBe(40);
  });

  it('refuses a pool of no connection, a fraction or an absurd size, naming the key', () => {
    for (const bad of [0, 2.5, 1_001, '20']) {
      expect(() => validateConfig({ ...DEFAULT_CONFIG, databasePoolSize: bad })).toThrow(ConfigError);
      expect(() => validateConfig({ ...DEFAULT_CONFIG, databasePoolSize: bad })).toThrow(/databasePoolSize/);
    }
  });
});
