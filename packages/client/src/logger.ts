/** Structured fields attached to a log line. */
export type LogFields = Readonly<Record<string, unknown>>;

/** A structured logger; a pino logger fits as is. */
export interface Logger {
  debug(fields: LogFields, message: string): void;
  info(fields: LogFields, message: string): void;
  warn(fields: LogFields, message: string): void;
  error(fields: LogFields, message: string): void;
  /** A logger adding `fields` to every line; emulated when absent. */
  child?(fields: LogFields): Logger;
}

/** A logger that drops everything: the worker's default. */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};

/** A logger that adds `fields` to every line of `logger`, through its own `child` when it has one. */
export function childLogger(logger: Logger, fields: LogFields): Logger {
  if (logger.child !== undefined) return logger.child(fields);
  return {
    debug: (more, message) => {
      logger.debug({ ...fields, ...more }, message);
    },
    info: (more, message) => {
      logger.info({ ...fields, ...more }, message);
    },
    warn: (more, message) => {
      logger.warn({ ...fields, ...more }, message);
    },
    error: (more, message) => {
      logger.error({ ...fields, ...more }, message);
    },
    child: (more) => childLogger(logger, { ...fields, ...more }),
  };
}
