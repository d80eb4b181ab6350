import { Timestamp, type DocumentData } from 'firebase-admin/firestore';
import { FixedClock } from '../../src/core/clock';
import {
  DEFAULT_CLEANUP_SETTINGS,
  runCleanup,
  type CleanupSettings,
} from '../../src/domain/scheduling/cleanup.service';
import { registerDevice, tokenKey } from '../../src/domain/users/devices.service';
import { createTestFirestore } from '../support/firestore';
import { recordingLogger } from '../support/runtime';

const fs = createTestFirestore();
const NOW = '2026-11-23T03:30:00Z';
const clock = new FixedClock(NOW);
const DAY = 86_400_000;

beforeEach(() => {
  clock.set(NOW);
});
afterEach(() => fs.clear());
afterAll(() => fs.dispose());

const daysAgo = (n: number) => Timestamp.fromMillis(Date.parse(NOW) - n * DAY);
const ids = async (path: string) =>
  (await fs.db.collection(path).get()).docs.map((d) => d.id).sort();
const settings = (over: Partial<CleanupSettings> = {}): CleanupSettings => ({
  ...DEFAULT_CLEANUP_SETTINGS,
  ...over,
});
const run = (over: Partial<CleanupSettings> = {}, logger = recordingLogger()) =>
  runCleanup({ db: fs.db, clock, logger }, settings(over));

/**
 * Collection-group queries: the official emulator (and Firestore) answer them; the embedded test
 * server answers them with nothing. The global setup points FIRESTORE_EMULATOR_HOST at
 * the given emulator and uses it as the control URL too; the embedded server has its own.
 */
const officialEmulator =
  process.env.TASKFLOW_FIRESTORE_CONTROL_URL === `http://${process.env.FIRESTORE_EMULATOR_HOST}`;

describe('runCleanup', () => {
  (officialEmulator ? it : it.skip)(
    'deletes read inbox items past retention and nothing else (collection-group query: official emulator)',
    async () => {
      const item = (read: boolean, createdAt: Timestamp): DocumentData => ({
        type: 'custom',
        title: 't',
        body: 'b',
        read,
        createdAt,
      });
      await Promise.all([
        fs.db.doc('users/u1/notifications/old-read').set(item(true, daysAgo(31))),
        fs.db.doc('users/u1/notifications/old-unread').set(item(false, daysAgo(90))),
        fs.db.doc('users/u1/notifications/new-read').set(item(true, daysAgo(29))),
        fs.db.doc('users/u2/notifications/old-read-2').set(item(true, daysAgo(45))),
      ]);
      const report = await run();
      expect(report.deleted.inbox).toBe(2);
      expect(await ids('users/u1/notifications')).toEqual(['new-read', 'old-unread']);
      expect(await ids('users/u2/notifications')).toEqual([]);
    },
  );

  it('removes devices not seen for N days with their token index; keeps and re-dates active ones', async () => {
    clock.set(daysAgo(70).toDate());
    await registerDevice(fs.db, clock, 'u1', {
      token: 'stale-token',
      platform: 'ios',
      deviceId: 'd-stale',
    });
    await registerDevice(fs.db, clock, 'u1', {
      token: 'app-refreshed-token',
      platform: 'android',
      deviceId: 'd-sdk',
    });
    await registerDevice(fs.db, clock, 'u2', {
      token: 'orphan-token',
      platform: 'web',
      deviceId: 'd-gone',
    });
    clock.set(daysAgo(5).toDate());
    await registerDevice(fs.db, clock, 'u2', {
      token: 'fresh-token',
      platform: 'ios',
      deviceId: 'd-fresh',
    });
    clock.set(NOW);
    // The app refreshed lastSeenAt on its device through the SDK (the index is not touched);
    // one device document vanished, leaving its index entry behind.
    await fs.db.doc('users/u1/devices/d-sdk').update({ lastSeenAt: daysAgo(1) });
    await fs.db.doc('users/u2/devices/d-gone').delete();

    const report = await run();
    expect(report.deleted.devices).toBe(1);
    expect(await ids('users/u1/devices')).toEqual(['d-sdk']);
    expect(await ids('users/u2/devices')).toEqual(['d-fresh']);
    expect(await ids('deviceTokens')).toEqual(
      [tokenKey('app-refreshed-token'), tokenKey('fresh-token')].sort(),
    );
    const refreshed = await fs.db.doc(`deviceTokens/${tokenKey('app-refreshed-token')}`).get();
    expect((refreshed.get('updatedAt') as Timestamp).isEqual(daysAgo(1))).toBe(true);
    // Nothing more to do on the next run.
    expect((await run()).deleted.devices).toBe(0);
  });

  it('deletes finished delivery records past retention with their claims, not pending or recent ones', async () => {
    const record = (status: string, finishedAt: Timestamp | null) => ({
      status,
      finishedAt,
      channel: 'push',
      recipientId: 'u1',
    });
    await Promise.all([
      fs.db.doc('deliveries/sent-old').set(record('sent', daysAgo(40))),
      fs.db.doc('deliveries/sent-old/claims/v1').set({ at: daysAgo(40) }),
      fs.db.doc('deliveries/sent-old/claims/v2').set({ at: daysAgo(40) }),
      fs.db.doc('deliveries/failed-old').set(record('failed', daysAgo(31))),
      fs.db.doc('deliveries/skipped-old').set(record('skipped', daysAgo(60))),
      fs.db.doc('deliveries/sent-recent').set(record('sent', daysAgo(10))),
      fs.db.doc('deliveries/pending').set(record('pending', null)),
      fs.db.doc('deliveries/sending-old').set(record('sending', daysAgo(40))),
    ]);
    const report = await run();
    expect(report.deleted.deliveries).toBe(3);
    expect(await ids('deliveries')).toEqual(['pending', 'sending-old', 'sent-recent']);
    expect(await ids('deliveries/sent-old/claims')).toEqual([]);
  });

  it('deletes job runs and send claims past retention, job by job', async () => {
    const runDoc = (startedAt: Timestamp) => ({ status: 'success', startedAt });
    await Promise.all([
      fs.db.doc('scheduledJobs/j1').set({ taskType: 'custom_notification' }),
      fs.db.doc('scheduledJobs/j2').set({ taskType: 'custom_notification' }),
      fs.db.doc('scheduledJobs/j1/runs/old').set(runDoc(daysAgo(31))),
      fs.db.doc('scheduledJobs/j1/runs/new').set(runDoc(daysAgo(2))),
      fs.db.doc('scheduledJobs/j2/runs/old').set(runDoc(daysAgo(100))),
      fs.db.doc('scheduledJobs/j2/sends/old').set({ createdAt: daysAgo(100) }),
      fs.db.doc('scheduledJobs/j2/sends/new').set({ createdAt: daysAgo(1) }),
    ]);
    const report = await run();
    expect(report.deleted.jobRuns).toBe(2);
    expect(await ids('scheduledJobs/j1/runs')).toEqual(['new']);
    expect(await ids('scheduledJobs/j2/runs')).toEqual([]);
    expect(await ids('scheduledJobs/j2/sends')).toEqual(['new']);
    expect(await ids('scheduledJobs')).toEqual(['j1', 'j2']);
  });

  it('works in bounded batches and resumes where a stopped run left off', async () => {
    await Promise.all(
      Array.from({ length: 7 }, (_, i) =>
        fs.db.doc(`deliveries/r${i}`).set({ status: 'sent', finishedAt: daysAgo(40 + i) }),
      ),
    );
    const first = await run({ batchSize: 2, maxBatches: 2 });
    expect(first.deleted.deliveries).toBe(4);
    expect(first.complete.deliveries).toBe(false);
    // Oldest first: the four oldest are gone.
    expect(await ids('deliveries')).toEqual(['r0', 'r1', 'r2']);
    const second = await run({ batchSize: 2, maxBatches: 5 });
    expect(second.deleted.deliveries).toBe(3);
    expect(second.complete.deliveries).toBe(true);
    expect(await ids('deliveries')).toEqual([]);
  });

  it('logs one summary line, and refuses a retention of 0 days (an unset param)', async () => {
    const logger = recordingLogger();
    await fs.db.doc('deliveries/x').set({ status: 'failed', finishedAt: daysAgo(90) });
    await run({}, logger);
    const summary = logger.lines.filter((l) => l.message === 'Cleanup finished');
    expect(summary).toEqual([
      expect.objectContaining({
        job: 'dailyCleanup',
        durationMs: expect.any(Number),
        documentsRead: expect.any(Number),
        itemsActedOn: 1,
        failures: 0,
        deleted: { inbox: 0, devices: 0, deliveries: 1, jobRuns: 0 },
      }),
    ]);
    await expect(run({ inboxReadRetentionDays: 0 })).rejects.toThrow(/inboxReadRetentionDays/);
  });
});
