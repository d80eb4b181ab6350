import { formatInTimeZone } from 'date-fns-tz';
import {
  countCronRuns,
  cronPeriodMs,
  cronProblem,
  nextCronRun,
  previousCronRun,
} from '../../src/domain/scheduling/cron';
import {
  DEFAULT_DISPATCH_OPTIONS,
  manualRunId,
  occurrenceRunId,
  retryDelayMs,
  retryRunId,
} from '../../src/domain/scheduling/dispatch-policy';

const HOUR = 3_600_000;

/** Every occurrence of `expr` in `zone` after `from`, `n` of them. */
function occurrences(expr: string, zone: string, from: string, n: number): Date[] {
  const out: Date[] = [];
  let at = new Date(from);
  for (let i = 0; i < n; i++) {
    at = nextCronRun(expr, zone, at);
    out.push(at);
  }
  return out;
}

describe('cron evaluation in a time zone', () => {
  it('0 9 * * 1-5 in Europe/Berlin fires at 09:00 Berlin on weekdays only, across the March 2026 change', () => {
    // Clocks go forward on Sunday 29 March 2026 (CET +01:00 → CEST +02:00).
    const runs = occurrences('0 9 * * 1-5', 'Europe/Berlin', '2026-03-23T00:00:00Z', 10);
    expect(runs.map((d) => formatInTimeZone(d, 'Europe/Berlin', 'EEE yyyy-MM-dd HH:mm'))).toEqual([
      'Mon 2026-03-23 09:00',
      'Tue 2026-03-24 09:00',
      'Wed 2026-03-25 09:00',
      'Thu 2026-03-26 09:00',
      'Fri 2026-03-27 09:00',
      'Mon 2026-03-30 09:00',
      'Tue 2026-03-31 09:00',
      'Wed 2026-04-01 09:00',
      'Thu 2026-04-02 09:00',
      'Fri 2026-04-03 09:00',
    ]);
    // The same wall time is a different UTC instant on each side of the change.
    expect(runs[4]?.toISOString()).toBe('2026-03-27T08:00:00.000Z');
    expect(runs[5]?.toISOString()).toBe('2026-03-30T07:00:00.000Z');
  });

  it('stays at 09:00 Berlin across the October 2026 change (CEST → CET)', () => {
    const runs = occurrences('0 9 * * 1-5', 'Europe/Berlin', '2026-10-22T12:00:00Z', 3);
    expect(runs.map((d) => d.toISOString())).toEqual([
      '2026-10-23T07:00:00.000Z', // Fri, CEST
      '2026-10-26T08:00:00.000Z', // Mon, CET (clocks went back on Sunday 25 October)
      '2026-10-27T08:00:00.000Z',
    ]);
  });

  it('works in 30- and 45-minute offset zones', () => {
    expect(nextCronRun('0 9 * * *', 'Asia/Kolkata', new Date('2026-11-23T00:00:00Z'))).toEqual(
      new Date('2026-11-23T03:30:00Z'),
    );
    // Pacific/Chatham is +13:45 in (southern) summer.
    expect(nextCronRun('0 9 * * *', 'Pacific/Chatham', new Date('2026-11-23T00:00:00Z'))).toEqual(
      new Date('2026-11-23T19:15:00Z'),
    );
  });

  it('the next run is strictly after the given instant', () => {
    const at = new Date('2026-11-24T08:00:00Z'); // exactly 09:00 Berlin
    expect(nextCronRun('0 9 * * *', 'Europe/Berlin', at).toISOString()).toBe(
      '2026-11-25T08:00:00.000Z',
    );
    expect(previousCronRun('0 9 * * *', 'Europe/Berlin', at).toISOString()).toBe(
      '2026-11-23T08:00:00.000Z',
    );
  });

  it('accepts the macros', () => {
    expect(nextCronRun('@daily', 'UTC', new Date('2026-11-23T10:00:00Z')).toISOString()).toBe(
      '2026-11-24T00:00:00.000Z',
    );
  });
});

describe('cronProblem', () => {
  it.each([
    ['0 9 * * 1-5'],
    ['*/15 * * * *'],
    ['0 9 * * MON-FRI'],
    ['30 8 1 * *'],
    ['@hourly'],
    ['0 0 L * *'],
  ])('accepts %s', (expr) => {
    expect(cronProblem(expr)).toBeNull();
  });

  it.each([
    ['', /cron expression/],
    ['* * * *', /5 fields.*got 4/],
    ['0 0 9 * * 1', /5 fields.*got 6/],
    ['61 * * * *', /Constraint error/],
    ['0 25 * * *', /Constraint error/],
    ['0 9 * * 8', /Constraint error/],
    ['H 9 * * *', /hashed/],
    ['@every5m', /unknown macro/],
    ['0 9 31 2 *', /day of month/i],
  ])('rejects %p', (expr, message) => {
    expect(cronProblem(expr)).toMatch(message);
  });
});

describe('missed runs', () => {
  it('counts the occurrences a late run stands for, not the one it runs for', () => {
    // Hourly job due at 10:00; the dispatcher comes back at 15:00:30 after an outage: it runs
    // once, for 10:00, and 11:00–15:00 (5 ticks) were missed.
    expect(
      countCronRuns(
        '0 * * * *',
        'UTC',
        new Date('2026-11-23T10:00:00Z'),
        new Date('2026-11-23T15:00:30Z'),
      ),
    ).toBe(5);
    // On time (the same minute): nothing missed.
    expect(
      countCronRuns(
        '0 * * * *',
        'UTC',
        new Date('2026-11-23T10:00:00Z'),
        new Date('2026-11-23T10:00:40Z'),
      ),
    ).toBe(0);
  });

  it('is capped for a very old job', () => {
    expect(
      countCronRuns('* * * * *', 'UTC', new Date('2020-01-01T00:00:00Z'), new Date('2026-01-01')),
    ).toBe(1000);
  });
});

describe('cron period (for the health check)', () => {
  it('is the gap between the last two occurrences', () => {
    expect(cronPeriodMs('0 9 * * 1-5', 'Europe/Berlin', new Date('2026-11-25T10:00:00Z'))).toBe(
      24 * HOUR,
    );
    // Monday after a weekend: Friday 09:00 → Monday 09:00.
    expect(cronPeriodMs('0 9 * * 1-5', 'Europe/Berlin', new Date('2026-11-23T10:00:00Z'))).toBe(
      72 * HOUR,
    );
    expect(cronPeriodMs('*/15 * * * *', 'UTC', new Date('2026-11-23T10:07:00Z'))).toBe(15 * 60_000);
  });
});

describe('retry backoff and run ids', () => {
  it('doubles from one minute, capped at an hour', () => {
    expect([1, 2, 3, 4, 8].map((n) => retryDelayMs(n))).toEqual([
      60_000,
      120_000,
      240_000,
      480_000,
      HOUR,
    ]);
    expect(DEFAULT_DISPATCH_OPTIONS.maxAttempts).toBe(3);
    expect(DEFAULT_DISPATCH_OPTIONS.runTimeoutMs).toBeLessThan(DEFAULT_DISPATCH_OPTIONS.leaseMs);
  });

  it('names runs deterministically: occurrence, retries of it, manual runs', () => {
    const base = occurrenceRunId(new Date('2026-11-24T08:00:00Z'));
    expect(base).toBe('2026-11-24T08:00:00.000Z');
    expect(retryRunId(base, 2)).toBe('2026-11-24T08:00:00.000Z#retry1');
    expect(retryRunId(base, 3)).toBe('2026-11-24T08:00:00.000Z#retry2');
    expect(manualRunId('0b6e1c2a-req')).toBe('manual-0b6e1c2a-req');
    expect(manualRunId('a/b c')).toBe('manual-a_b_c');
  });
});
