import { CronExpressionParser } from 'cron-parser';

/**
 * Cron evaluation for user-defined scheduled jobs, with `cron-parser` (a well-kept parser in place
 * of a hand-rolled one). Expressions are the classic five fields
 * (minute hour day-of-month month day-of-week) or one of the macros below, evaluated in an IANA
 * time zone: `0 9 * * 1-5` in Europe/Berlin is 09:00 Berlin wall time on weekdays, whatever the
 * UTC offset that day. On a spring-forward day a time inside the gap runs at the first instant
 * after it (02:30 → 03:00 local); on a fall-back day a repeated time runs once, at its first
 * occurrence. The dispatcher ticks once a minute, so seconds fields are not accepted.
 */

export const CRON_MACROS: readonly string[] = [
  '@yearly',
  '@annually',
  '@monthly',
  '@weekly',
  '@daily',
  '@hourly',
];

/** Most cron occurrences counted as missed for one run (counting is only informational). */
export const MAX_COUNTED_MISSES = 1000;

/**
 * What is wrong with `expression`, or null when it is a valid five-field cron expression or
 * macro. Hashed values (`H`) are refused: cron-parser draws them at random on every parse, so the
 * next run would change each time it is computed.
 */
export function cronProblem(expression: string): string | null {
  const trimmed = expression.trim();
  if (trimmed === '') return 'must be a cron expression such as "0 9 * * 1-5"';
  if (trimmed.startsWith('@')) {
    return CRON_MACROS.includes(trimmed)
      ? null
      : `unknown macro (use one of ${CRON_MACROS.join(', ')})`;
  }
  const fields = trimmed.split(/\s+/);
  if (fields.length !== 5) {
    return `must have 5 fields (minute hour day-of-month month day-of-week), got ${fields.length}`;
  }
  // `H` on its own (not inside a name such as THU): `H`, `H/5`, `H(0-29)`.
  if (fields.some((f) => /(^|[^a-z])h([^a-z]|$)/i.test(f))) {
    return 'hashed values (H) are not supported';
  }
  try {
    CronExpressionParser.parse(trimmed, { tz: 'UTC', currentDate: new Date(0) }).next();
    return null;
  } catch (e) {
    return e instanceof Error ? e.message : 'is not a valid cron expression';
  }
}

function parse(expression: string, timeZone: string, currentDate: Date) {
  return CronExpressionParser.parse(expression.trim(), { tz: timeZone, currentDate });
}

/** The first occurrence of `expression` in `timeZone` strictly after `after`. */
export function nextCronRun(expression: string, timeZone: string, after: Date): Date {
  return parse(expression, timeZone, after).next().toDate();
}

/** The last occurrence of `expression` in `timeZone` strictly before `before`. */
export function previousCronRun(expression: string, timeZone: string, before: Date): Date {
  return parse(expression, timeZone, before).prev().toDate();
}

/**
 * How many occurrences fall in `(afterExclusive, untilInclusive]`: the ticks a job missed when it
 * runs once, late, for the occurrence at `afterExclusive` (an outage). Capped at
 * {@link MAX_COUNTED_MISSES} so a years-old job does not iterate without bound.
 */
export function countCronRuns(
  expression: string,
  timeZone: string,
  afterExclusive: Date,
  untilInclusive: Date,
): number {
  if (untilInclusive.getTime() <= afterExclusive.getTime()) return 0;
  const it = parse(expression, timeZone, afterExclusive);
  let count = 0;
  while (count < MAX_COUNTED_MISSES) {
    if (it.next().toDate().getTime() > untilInclusive.getTime()) break;
    count++;
  }
  return count;
}

/**
 * The gap between the two most recent occurrences before `at`: the job's period around that
 * instant (a weekday job is 24 h on Tuesday and 72 h over a weekend). The health check compares a
 * job's last success with it.
 */
export function cronPeriodMs(expression: string, timeZone: string, at: Date): number {
  const it = parse(expression, timeZone, at);
  const last = it.prev().toDate().getTime();
  const before = it.prev().toDate().getTime();
  return last - before;
}
