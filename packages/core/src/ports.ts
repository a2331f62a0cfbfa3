/** Time, from outside the core. */
export interface Clock {
  /** Milliseconds since the epoch. */
  nowMs(): number;
}

/** Identifiers and randomness, from outside the core. */
export interface Ids {
  /** A new random UUID. */
  uuid(): string;
  /** A number in [0, 1). */
  random(): number;
}

/** Structured fields attached to a log line. */
export type LogFields = Readonly<Record<string, unknown>>;

/** A scoped structured logger (pino-compatible shape). */
export interface Logger {
  debug(fields: LogFields, message: string): void;
  info(fields: LogFields, message: string): void;
  warn(fields: LogFields, message: string): void;
  error(fields: LogFields, message: string): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
}

/** A logger that drops everything. */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};
