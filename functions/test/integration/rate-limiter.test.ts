import { WriteBatch } from 'firebase-admin/firestore';
import { FixedClock } from '../../src/core/clock';
import { AppError } from '../../src/core/errors';
import { firestoreRateLimiter, type RateLimiter } from '../../src/infra/rate-limiter';
import { createTestFirestore } from '../support/firestore';
import { recordingLogger } from '../support/runtime';

const fs = createTestFirestore();
afterEach(() => fs.clear());
afterAll(() => fs.dispose());

/** Commits (Firestore writes) made while `run` ran, counted where the Admin SDK sends them. */
async function countCommits(run: () => Promise<void>): Promise<number> {
  const spy = jest.spyOn(WriteBatch.prototype, 'commit');
  try {
    await run();
    return spy.mock.calls.length;
  } finally {
    spy.mockRestore();
  }
}

/** Calls `consume` and says whether it was allowed; any error but 429 fails the test. */
async function allowed(limiter: RateLimiter, key: string, limit: number): Promise<boolean> {
  try {
    await limiter.consume(key, { limit, windowSeconds: 60 });
    return true;
  } catch (e) {
    if (e instanceof AppError && e.code === 'RATE_LIMITED') return false;
    throw e;
  }
}

describe('firestoreRateLimiter', () => {
  it('holds a limit at 100 requests/s on one key with at most one write per second', async () => {
    const clock = new FixedClock('2026-11-23T10:00:00.000Z');
    const limiter = firestoreRateLimiter(fs.db, clock, recordingLogger());
    let passed = 0;
    const commits = await countCommits(async () => {
      for (let i = 0; i < 100; i++) {
        if (await allowed(limiter, 'user:hammer', 60)) passed += 1;
        clock.advance(10);
      }
      await limiter.settled();
    });
    expect(passed).toBe(60);
    // One write when the key is first seen, one when its second second starts: never one per request.
    expect(commits).toBeLessThanOrEqual(2);
    // Another key is unaffected.
    expect(await allowed(limiter, 'user:other', 60)).toBe(true);
  });

  it('shares a coarse bound between instances through Firestore', async () => {
    const clock = new FixedClock('2026-11-23T10:00:00.000Z');
    const a = firestoreRateLimiter(fs.db, clock, recordingLogger());
    const b = firestoreRateLimiter(fs.db, clock, recordingLogger());
    for (let i = 0; i < 6; i++) expect(await allowed(a, 'user:shared', 10)).toBe(true);
    clock.advance(1100);
    // A's next request publishes its count (now 7) at most once a second; B reads it on first use.
    expect(await allowed(a, 'user:shared', 10)).toBe(true);
    await a.settled();
    let passedOnB = 0;
    while (await allowed(b, 'user:shared', 10)) passedOnB += 1;
    // B saw A's published 7 and stopped at the limit.
    expect(passedOnB).toBe(3);
    const docs = (await fs.db.collection('rateLimits').get()).docs;
    // One document per instance and window: no document is shared by two writers.
    expect(docs).toHaveLength(2);
  });

  it('keeps limiting per instance when Firestore fails, and says so', async () => {
    // Every Firestore call fails, as in an outage (UNAVAILABLE).
    const broken = new Proxy(fs.db, {
      get: (target, name) =>
        name === 'collection'
          ? () => {
              throw Object.assign(new Error('14 UNAVAILABLE: connection refused'), { code: 14 });
            }
          : Reflect.get(target, name),
    });
    const logger = recordingLogger();
    const clock = new FixedClock('2026-11-23T10:00:00.000Z');
    const limiter = firestoreRateLimiter(broken, clock, logger);
    const results: boolean[] = [];
    for (let i = 0; i < 5; i++) results.push(await allowed(limiter, 'ip:1.2.3.4', 3));
    expect(results).toEqual([true, true, true, false, false]);
    expect(logger.lines.some((l) => l.level === 'WARN' && /Rate limiter/.test(l.message))).toBe(
      true,
    );
  });

  it('forgets idle keys so rotating addresses cannot grow memory without bound', async () => {
    const clock = new FixedClock('2026-11-23T10:00:00.000Z');
    const limiter = firestoreRateLimiter(fs.db, clock, recordingLogger(), {
      maxKeys: 50,
      syncIntervalMs: 1000,
    });
    for (let i = 0; i < 120; i++)
      await limiter.consume(`ip:10.0.${i >> 8}.${i & 255}`, {
        limit: 5,
        windowSeconds: 60,
      });
    await limiter.settled();
    expect(limiter.trackedKeys()).toBeLessThanOrEqual(50);
  });
});
