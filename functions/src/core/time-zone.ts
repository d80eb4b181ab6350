import { formatInTimeZone } from 'date-fns-tz';

/** The zone of a profile that has none, and of one whose zone the runtime does not know. */
export const DEFAULT_TIMEZONE = 'UTC';

/** `zone` if the runtime knows it, else UTC (a stored profile is not trusted to be valid). */
export function safeZone(zone: unknown): string {
  if (typeof zone !== 'string' || zone === '') return DEFAULT_TIMEZONE;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return zone;
  } catch {
    return DEFAULT_TIMEZONE;
  }
}

/** The local date (`yyyy-MM-dd`) of `instant` in `zone`. */
export function localDateOf(instant: Date, zone: string): string {
  return formatInTimeZone(instant, zone, 'yyyy-MM-dd');
}
