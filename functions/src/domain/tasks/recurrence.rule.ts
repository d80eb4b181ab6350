import { createHash } from 'node:crypto';
import { formatInTimeZone, fromZonedTime, getTimezoneOffset } from 'date-fns-tz';
import { RRule, type Options } from 'rrule';

/**
 * Recurrence rules (RFC 5545 RRULE) evaluated with `rrule` in a task's own time zone: validation,
 * wall-time conversion, the next occurrence, and the id of an occurrence's task. Pure functions,
 * kept apart from the spawning (recurrence.ts) so the task schema can validate rules without
 * loading Firestore code. See recurrence.ts for the series semantics.
 */

export const DUE_MODES = ['on_complete', 'on_due'] as const;
export type DueMode = (typeof DUE_MODES)[number];

export interface Recurrence {
  rule: string;
  timezone: string;
  dueMode?: DueMode | undefined;
}

const ALLOWED_PARTS = new Set([
  'FREQ',
  'INTERVAL',
  'COUNT',
  'UNTIL',
  'BYDAY',
  'BYMONTHDAY',
  'BYMONTH',
  'BYSETPOS',
  'BYYEARDAY',
  'BYWEEKNO',
  'BYHOUR',
  'BYMINUTE',
  'WKST',
]);
const WEEKDAY = /^([+-]?([1-9]|[1-4]\d|5[0-3]))?(MO|TU|WE|TH|FR|SA|SU)$/;
const INTEGER_LIST = /^[+-]?\d{1,3}(,[+-]?\d{1,3})*$/;

function stripPrefix(rule: string): string {
  return rule.trim().replace(/^RRULE:/i, '');
}

/**
 * What is wrong with an RRULE, or null. Beyond its shape (checked by the task schema): known
 * parts only (no DTSTART or TZID: the due date and `timezone` are the anchor and zone), valid
 * weekday and number lists, not both COUNT and UNTIL (RFC 5545), and rrule can expand it.
 */
export function recurrenceRuleProblem(rule: string): string | null {
  const parts = stripPrefix(rule).split(';');
  const seen = new Set<string>();
  for (const part of parts) {
    const [key = '', value = ''] = part.split('=');
    if (!ALLOWED_PARTS.has(key)) return `${key || 'an empty part'} is not supported`;
    if (seen.has(key)) return `${key} appears twice`;
    seen.add(key);
    if (key === 'BYDAY' && !value.split(',').every((d) => WEEKDAY.test(d))) {
      return 'BYDAY must list weekdays such as MO,WE or 1MO,-1FR';
    }
    if (key === 'WKST' && !/^(MO|TU|WE|TH|FR|SA|SU)$/.test(value)) return 'WKST must be a weekday';
    if (['INTERVAL', 'COUNT'].includes(key) && !/^[1-9]\d{0,3}$/.test(value)) {
      return `${key} must be a positive integer`;
    }
    if (key.startsWith('BY') && key !== 'BYDAY' && !INTEGER_LIST.test(value)) {
      return `${key} must be a list of integers`;
    }
    if (key === 'UNTIL' && !/^\d{8}(T\d{6}Z?)?$/.test(value)) {
      return 'UNTIL must be a date (20261231) or date-time (20261231T235959Z)';
    }
  }
  if (!seen.has('FREQ')) return 'FREQ is required';
  if (seen.has('COUNT') && seen.has('UNTIL')) return 'COUNT and UNTIL cannot both be given';
  try {
    const r = new RRule({
      ...RRule.parseString(stripPrefix(rule)),
      count: null,
      dtstart: new Date(0),
    });
    r.after(new Date(0), false);
  } catch (e) {
    return e instanceof Error ? e.message : 'cannot be expanded';
  }
  return null;
}

/** The wall time of `instant` in `timeZone`, as a "floating" Date (its UTC fields). */
export function toFloating(instant: Date, timeZone: string): Date {
  return new Date(`${formatInTimeZone(instant, timeZone, "yyyy-MM-dd'T'HH:mm:ss.SSS")}Z`);
}

/**
 * The instant at which the wall clock of `timeZone` shows the floating time. A wall time that
 * does not exist (skipped when clocks go forward) moves forward by the gap, as RFC 5545 prescribes
 * (02:30 on the spring-forward day → 03:30); a repeated one (fall back) is the first.
 */
export function fromFloating(floating: Date, timeZone: string): Date {
  const shows = (instant: Date) => toFloating(instant, timeZone).getTime() === floating.getTime();
  const instant = fromZonedTime(floating.toISOString().slice(0, 23), timeZone);
  if (shows(instant)) {
    // A repeated wall time: date-fns-tz picks the later instant; take the earlier one if the
    // clock showed the same time an hour (or, at Lord Howe, half an hour) before.
    for (const back of [3_600_000, 1_800_000]) {
      const earlier = new Date(instant.getTime() - back);
      if (shows(earlier)) return earlier;
    }
    return instant;
  }
  // A skipped wall time: move it forward by the length of the gap (1 h, or 30 min at Lord Howe).
  const offsetOf = (ms: number) => getTimezoneOffset(timeZone, new Date(ms));
  const gap = offsetOf(floating.getTime() + 43_200_000) - offsetOf(floating.getTime() - 43_200_000);
  return fromZonedTime(new Date(floating.getTime() + gap).toISOString().slice(0, 23), timeZone);
}

export interface ParsedRule {
  options: Partial<Options>;
  /** COUNT, applied by occurrence index rather than by rrule (the first task always counts). */
  count: number | null;
}

export function parseRule(rule: string, timeZone: string): ParsedRule {
  const body = stripPrefix(rule);
  const options = RRule.parseString(body);
  const count = options.count ?? null;
  delete options.count;
  const until = /(?:^|;)UNTIL=(\d{8})(T\d{6})?(Z?)/.exec(body);
  if (until !== null && options.until instanceof Date) {
    if (until[3] === 'Z') options.until = toFloating(options.until, timeZone);
    // A date without a time includes that whole day.
    else if (until[2] === undefined) options.until = new Date(options.until.getTime() + 86_399_999);
  }
  return { options, count };
}

/**
 * The first occurrence strictly after `after` of the series that started at `seriesStart`, in
 * the recurrence's zone (UNTIL applied, COUNT not: see {@link spawnNextOccurrence}); null when
 * the rule has no further occurrence.
 */
export function nextOccurrence(
  recurrence: Recurrence,
  seriesStart: Date,
  after: Date,
): Date | null {
  const { options } = parseRule(recurrence.rule, recurrence.timezone);
  const rule = new RRule({ ...options, dtstart: toFloating(seriesStart, recurrence.timezone) });
  const next = rule.after(toFloating(after, recurrence.timezone), false);
  return next === null ? null : fromFloating(next, recurrence.timezone);
}

/** The id of the occurrence of `seriesId` due at `dueDate`: readable, hashed if too long. */
export function occurrenceTaskId(seriesId: string, dueDate: Date): string {
  const compact = dueDate
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const id = `${seriesId}_${compact}`;
  if (id.length <= 128) return id;
  return `r_${createHash('sha256').update(`${seriesId}|${compact}`).digest('hex').slice(0, 40)}`;
}
