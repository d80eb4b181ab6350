/**
 * Structured logging port. Fields follow the log contract
 * (timestamp, level, service, function, message, userId, …); the adapter adds timestamp and level.
 * Never pass secrets or raw tokens as fields.
 */
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger whose every line also carries `fields` (request id, user id, …). */
  child(fields: LogFields): Logger;
}

/** Discards everything; for unit tests that do not assert on logs. */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};
