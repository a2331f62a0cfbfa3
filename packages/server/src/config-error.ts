/** A configuration problem, naming the key at fault. */
export class ConfigError extends Error {
  readonly key: string;

  /** @param key - the offending key, dotted (`retry.maxDelayMs`) or an environment variable name */
  constructor(key: string, message: string) {
    super(`${key}: ${message}`);
    this.name = 'ConfigError';
    this.key = key;
  }
}
