import { createHash } from 'node:crypto';
import { formatInTimeZone, fromZonedTime, getTimezoneOffset } from 'date-fns-tz';
import { Frequency, RRule, type Options } from 'rrule';

/**
 * Recurrence rules (RFC 5545 RRULE) evaluated with `rrule` in a task's own time zone: validation,
 * wall-time conversion, the next occurrence, and the id of an occurrence's task. Pure functions,
 * kept apart from the spawning (recurrence.service.ts) so the task schema can validate rules without
 * loading Firestore code. See recurrence.service.ts for the series semantics.
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
  'BYHOUR',
  'BYMINUTE',
  'WKST',
]);

/**
 * The frequencies a task manager needs. SECONDLY, MINUTELY and HOURLY are refused: a series of
 * tasks is at most daily (BYHOUR and BYMINUTE take one value each, for the same reason).
 */
export const ALLOWED_FREQUENCIES = ['DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY'] as const;

/** A rule must have its next occurrence within this many years, else the series ends. */
export const HORIZON_YEARS = 10;
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
    if (key === 'FREQ' && !(ALLOWED_FREQUENCIES as readonly string[]).includes(value)) {
      return `FREQ must be one of ${ALLOWED_FREQUENCIES.join(', ')}`;
    }
    if ((key === 'BYHOUR' || key === 'BYMINUTE') && value.includes(',')) {
      return `${key} must be a single value (at most one occurrence a day)`;
    }
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
    const { options } = parseRule(rule, 'UTC');
    const next = boundedNext(options, new Date(0), new Date(0));
    if (next.exhausted) {
      return `has no occurrence within ${String(HORIZON_YEARS)} years (an impossible date such as 30 February?)`;
    }
  } catch (e) {
    return e instanceof Error ? e.message : 'cannot be expanded';
  }
  return null;
}

/** Whether the runtime knows `zone` as an IANA time zone. */
export function isIanaZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * The zone to evaluate in: `zone` when the runtime knows it, else UTC (`known: false`, for the
 * caller to record a warning). A document written around the API can hold any string; one bad
 * zone must not make its task, or a sweep, fail.
 */
export function resolveZone(zone: string): { zone: string; known: boolean } {
  return isIanaZone(zone) ? { zone, known: true } : { zone: 'UTC', known: false };
}

const DAY_MS = 86_400_000;
const PERIODS_PER_YEAR: Partial<Record<number, number>> = {
  [RRule.YEARLY]: 1,
  [RRule.MONTHLY]: 12,
  [RRule.WEEKLY]: 53,
  [RRule.DAILY]: 366,
};

/** A UTC date from fields, years below 100 included (Date.UTC maps those to 19xx). */
function utc(year: number, month: number, day: number): Date {
  const d = new Date(Date.UTC(2000, month, day));
  d.setUTCFullYear(year);
  return d;
}

/**
 * The latest start of a period of the series (same phase of INTERVAL) at or before `after`: the
 * rule expanded from there gives every occurrence after `after` that the rule expanded from
 * `dtstart` gives, once the defaults rrule derives from DTSTART are explicit (see boundedNext).
 */
function anchorNear(freq: Frequency, interval: number, dtstart: Date, after: Date): Date {
  if (after <= dtstart) return dtstart;
  if (freq === Frequency.DAILY || freq === Frequency.WEEKLY) {
    const step = (freq === Frequency.DAILY ? 1 : 7) * interval * DAY_MS;
    const n = Math.floor((after.getTime() - dtstart.getTime()) / step);
    return new Date(dtstart.getTime() + n * step);
  }
  if (freq === Frequency.MONTHLY) {
    const months =
      (after.getUTCFullYear() - dtstart.getUTCFullYear()) * 12 +
      after.getUTCMonth() -
      dtstart.getUTCMonth();
    const n = Math.floor(months / interval);
    if (n === 0) return dtstart;
    const index = dtstart.getUTCFullYear() * 12 + dtstart.getUTCMonth() + n * interval;
    return utc(Math.floor(index / 12), index % 12, 1);
  }
  const n = Math.floor((after.getUTCFullYear() - dtstart.getUTCFullYear()) / interval);
  return n === 0 ? dtstart : utc(dtstart.getUTCFullYear() + n * interval, 0, 1);
}

export interface BoundedNext {
  /** The first occurrence strictly after `after`, or null. */
  date: Date | null;
  /** True when the search stopped at the horizon rather than at the rule's end (UNTIL). */
  exhausted: boolean;
  /** Periods (days, weeks, months or years of the rule) rrule stepped through. */
  periods: number;
}

/**
 * The first occurrence (floating times) strictly after `after` of the rule started at `dtstart`,
 * at a bounded cost whatever the rule and however far back the start:
 * - the expansion starts at the last period of the series before `after` (same INTERVAL phase),
 *   not at `dtstart` — with the defaults rrule takes from DTSTART (time of day, weekday, month
 *   day, month) made explicit first, so the occurrences are the same;
 * - rrule steps through at most {@link HORIZON_YEARS} years of periods. rrule 2.8.1 has no
 *   iteration cap of its own (an impossible rule such as 30 February iterates to year 9999,
 *   seconds of CPU): its iterator re-reads `options.interval` once per period and stops when it
 *   reads 0, so a counting getter there is the cap. Pinned version; the unit tests compare the
 *   result with rrule's unbounded one.
 */
export function boundedNext(options: Partial<Options>, dtstart: Date, after: Date): BoundedNext {
  const base = new RRule({ ...options, dtstart }, true);
  const parsed = base.options;
  const freq = parsed.freq;
  const perYear = PERIODS_PER_YEAR[freq];
  if (perYear === undefined) throw new Error('FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY');
  const interval = parsed.interval;
  const anchor = anchorNear(freq, interval, dtstart, after);
  const rule = new RRule({ freq }, true);
  rule.options = { ...parsed, dtstart: anchor };
  const maxPeriods = Math.ceil((HORIZON_YEARS * perYear) / interval) + 2;
  let reads = 0;
  // One read when the iteration starts, then two per period (the stop check, the step).
  Object.defineProperty(rule.options, 'interval', {
    get: () => (++reads > 1 + 2 * maxPeriods ? 0 : interval),
  });
  const date = rule.after(after, false);
  const periods = Math.floor(Math.max(0, reads - 1) / 2);
  return { date, exhausted: date === null && reads > 1 + 2 * maxPeriods, periods };
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
 * the rule has no further occurrence within {@link HORIZON_YEARS} years. An unknown zone is
 * evaluated as UTC ({@link resolveZone}).
 */
export function nextOccurrence(
  recurrence: Recurrence,
  seriesStart: Date,
  after: Date,
): Date | null {
  const { zone } = resolveZone(recurrence.timezone);
  const { options } = parseRule(recurrence.rule, zone);
  const next = boundedNext(options, toFloating(seriesStart, zone), toFloating(after, zone)).date;
  return next === null ? null : fromFloating(next, zone);
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
