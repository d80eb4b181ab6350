import type { Firestore } from 'firebase-admin/firestore';
import { FixedClock } from '../src/core/clock';
import { silentLogger } from '../src/core/logger';
import { scheduleUserDigest } from '../src/domain/digests/digest-schedule.service';
import { enqueueDueDigests } from '../src/domain/digests/digest-sweep.service';
import { recordingDigestQueue } from '../test/support/recording-queues';
import { seedUsers } from './seed';

/**
 * The digest sweep over one simulated day (reads per user and time to
 * enqueue, over 10,000 users), for `npm run bench` to call.
 *
 * Seeds `users` profiles (seed.ts: nine zones, default preferences: daily digest at 08:00 local),
 * schedules each through `scheduleUserDigest` (seeding, not measured), then runs the sweep at
 * every 15-minute tick of a Tuesday (no weekly digests, no DST change in the seeded zones) with a
 * fixed clock and an in-memory queue: what is measured is the sweep's own cost — its Firestore
 * reads and the time to find, enqueue and advance the due digests. A real Cloud Tasks enqueue
 * adds one HTTP round trip per digest (32 in flight by default), not measured here.
 */

export interface DigestSweepBenchResult {
  users: number;
  /** Digests enqueued over the day (one per user). */
  digests: number;
  ticks: number;
  /** Reads the sweep reported (schedule documents, plus one per empty query). */
  documentsRead: number;
  readsPerDigest: number;
  /** Wall time of all ticks. */
  sweepMs: number;
  /** The tick with the most digests. */
  busiestTick: { at: string; digests: number; ms: number; msPerDigest: number };
  seedMs: number;
}

/** Runs the benchmark on `db` (an emulator); see the module comment. */
export async function benchDigestSweep(
  db: Firestore,
  options: { users: number; day?: string; seed?: number; concurrency?: number },
): Promise<DigestSweepBenchResult> {
  const day = options.day ?? '2026-11-24';
  const start = new Date(`${day}T00:00:00Z`);
  const clock = new FixedClock(start);
  const seeded = performance.now();
  const { userIds } = await seedUsers(db, {
    users: options.users,
    prefix: 'digest-user-',
    seed: options.seed ?? 20_261_124,
    at: start,
  });
  const pending = [...userIds];
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      for (let uid = pending.shift(); uid !== undefined; uid = pending.shift())
        await scheduleUserDigest(db, clock, uid);
    }),
  );
  const seedMs = performance.now() - seeded;

  const queue = recordingDigestQueue();
  const deps = { db, clock, logger: silentLogger };
  let documentsRead = 0;
  let sweepMs = 0;
  let ticks = 0;
  let busiestTick = { at: start.toISOString(), digests: 0, ms: 0, msPerDigest: 0 };
  for (let t = start.getTime() + 15 * 60_000; t <= start.getTime() + 86_400_000; t += 15 * 60_000) {
    clock.set(new Date(t));
    const t0 = performance.now();
    const report = await enqueueDueDigests(deps, queue, { concurrency: options.concurrency });
    const ms = performance.now() - t0;
    ticks++;
    sweepMs += ms;
    documentsRead += report.documentsRead;
    if (report.enqueued > busiestTick.digests) {
      busiestTick = {
        at: new Date(t).toISOString(),
        digests: report.enqueued,
        ms,
        msPerDigest: ms / report.enqueued,
      };
    }
  }
  const digests = queue.jobs.length;
  return {
    users: userIds.length,
    digests,
    ticks,
    documentsRead,
    readsPerDigest: digests === 0 ? 0 : documentsRead / digests,
    sweepMs,
    busiestTick,
    seedMs,
  };
}
