import { write, type LogEntry } from 'firebase-functions/logger';
import type { LogFields, Logger } from '../core/logger';

const LEVELS = { debug: 'DEBUG', info: 'INFO', warn: 'WARNING', error: 'ERROR' } as const;

/** Keys whose values are never logged, whatever a caller passes (tokens, keys, passwords). */
const REDACTED = /authorization|password|secret|token|apikey|api_key/i;

function redact(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [k, v] of Object.entries(fields)) out[k] = REDACTED.test(k) ? '[redacted]' : v;
  return out;
}

/**
 * The {@link Logger} port over `firebase-functions/logger`: one JSON line per call, which Cloud
 * Logging parses into `jsonPayload`, carrying the log contract's fields (timestamp, level, service,
 * function, message, plus the child fields such as requestId and userId).
 */
export function functionsLogger(base: LogFields, sink: (entry: LogEntry) => void = write): Logger {
  const emit =
    (level: keyof typeof LEVELS) =>
    (message: string, fields: LogFields = {}): void => {
      sink({
        severity: LEVELS[level],
        timestamp: new Date().toISOString(),
        level: LEVELS[level] === 'WARNING' ? 'WARN' : LEVELS[level],
        ...base,
        message,
        ...redact(fields),
      });
    };
  return {
    debug: emit('debug'),
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
    child: (fields) => functionsLogger({ ...base, ...redact(fields) }, sink),
  };
}
