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
