import { Timestamp } from 'firebase-admin/firestore';
import { FixedClock } from '../../src/core/clock';
import { checkHealth } from '../../src/domain/health/health.service';

const clock = new FixedClock('2026-03-29T01:30:00Z');
const options = { version: '1.2.3', slowMs: 50, timeoutMs: 200 };

describe('checkHealth', () => {
  it('is healthy when every probe passes', async () => {
    const report = await checkHealth({ firestore: () => Promise.resolve() }, clock, options);
    expect(report).toEqual({
      status: 'healthy',
      timestamp: '2026-03-29T01:30:00.000Z',
      version: '1.2.3',
      checks: { firestore: { status: 'pass', latencyMs: expect.any(Number) } },
    });
  });

  it('is unhealthy when a probe fails, naming the error', async () => {
    const report = await checkHealth(
      { firestore: () => Promise.reject(new Error('down')), other: () => Promise.resolve() },
      clock,
      options,
    );
    expect(report.status).toBe('unhealthy');
    expect(report.checks.firestore).toMatchObject({ status: 'fail', error: 'down' });
    expect(report.checks.other?.status).toBe('pass');
  });

  it('abandons a probe that never answers (reported as a failure, not a hang)', async () => {
    const report = await checkHealth({ firestore: () => new Promise(() => undefined) }, clock, {
      ...options,
      timeoutMs: 10,
    });
    expect(report.checks.firestore).toMatchObject({
      status: 'fail',
      error: 'timed out after 10 ms',
    });
  });
});

describe('checkHealth: scheduled jobs', () => {
  const at = (iso: string) => Timestamp.fromDate(new Date(iso));
  const ok = { firestore: () => Promise.resolve() };

  it('a job whose last success is within twice its period passes; an older one degrades the service', async () => {
    const report = await checkHealth(ok, clock, {
      ...options,
      jobs: () =>
        Promise.resolve({
          // 01:30 now: 10 minutes ago, every 5 minutes → exactly 2× → still fine.
          reminders: { lastSuccessAt: at('2026-03-29T01:20:00Z'), periodSeconds: 300 },
          // 70 minutes ago, every 30 minutes → late.
          overdue: { lastSuccessAt: at('2026-03-29T00:20:00Z'), periodSeconds: 1800 },
        }),
    });
    expect(report.status).toBe('degraded');
    expect(report.jobs).toEqual({
      reminders: {
        status: 'pass',
        periodSeconds: 300,
        lastSuccessAt: '2026-03-29T01:20:00.000Z',
        lastSuccessAgeSeconds: 600,
      },
      overdue: {
        status: 'warn',
        periodSeconds: 1800,
        lastSuccessAt: '2026-03-29T00:20:00.000Z',
        lastSuccessAgeSeconds: 4200,
      },
    });
  });

  it('all jobs on time: healthy; a job that ran but never succeeded: degraded', async () => {
    const fine = await checkHealth(ok, clock, {
      ...options,
      jobs: () =>
        Promise.resolve({
          cleanup: { lastSuccessAt: at('2026-03-28T02:00:00Z'), periodSeconds: 86400 },
        }),
    });
    expect(fine.status).toBe('healthy');
    const never = await checkHealth(ok, clock, {
      ...options,
      jobs: () => Promise.resolve({ digests: { periodSeconds: 900 } }),
    });
    expect(never.status).toBe('degraded');
    expect(never.jobs?.digests).toMatchObject({ status: 'warn', lastSuccessAt: null });
  });

  it('does not read job records when Firestore is down', async () => {
    const jobs = jest.fn(() => Promise.resolve({}));
    const report = await checkHealth(
      { firestore: () => Promise.reject(new Error('down')) },
      clock,
      { ...options, jobs },
    );
    expect(report.status).toBe('unhealthy');
    expect(jobs).not.toHaveBeenCalled();
    expect(report.jobs).toBeUndefined();
  });
});
