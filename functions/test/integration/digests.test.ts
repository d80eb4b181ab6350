import { formatInTimeZone } from 'date-fns-tz';
import functionsTest from 'firebase-functions-test';
import { Timestamp } from 'firebase-admin/firestore';
import { setRuntimeForTesting } from '../../src/composition-root';
import { FixedClock } from '../../src/core/clock';
import type { EmailMessage, Mailer } from '../../src/domain/notifications/channels';
import { notifierDeps, type NotifierDeps } from '../../src/domain/notifications/delivery.service';
import {
  type DigestJob,
  type DigestMarkerDoc,
  type DigestScheduleDoc,
} from '../../src/domain/digests/digest.schema';
import {
  digestInputsOf,
  plannedSchedule,
  scheduleUserDigest,
} from '../../src/domain/digests/digest-schedule.service';
import { sendUserDigest } from '../../src/domain/digests/digest-send.service';
import { enqueueDueDigests, type DigestQueue } from '../../src/domain/digests/digest-sweep.service';
import { addDays, isoWeekday, localInstant } from '../../src/domain/digests/digest-time';
import { localDateOf } from '../../src/core/time-zone';
import { createUserProfile } from '../../src/domain/users/account.service';
import type { NotificationPreferences } from '../../src/domain/users/preferences.schema';
import { updatePreferences } from '../../src/domain/users/preferences.service';
import { quarterHourlyDigests, sendDigest } from '../../src/functions/digests.functions';
import { onUserProfileWritten } from '../../src/functions/digests.triggers';
import { inlineDigestQueue } from '../../src/infra/tasks/digest.queues';
import { recordingDigestQueue, type RecordingDigestQueue } from '../support/recording-queues';
import { countReads } from '../support/firestore-reads';
import { createTestFirestore } from '../support/firestore';
import { profileDoc, type ProfileOverrides } from '../support/users';
import { testRuntime } from '../support/runtime';
import { DELIVERIES, DIGEST_SCHEDULE, DIGESTS } from '../../src/storage/collections';

/**
 * Daily and weekly summaries end to end on Firestore: the 15-minute sweep over
 * simulated days — each tick run twice at once (overlapping Cloud Scheduler runs), each queued
 * job delivered twice at once (Cloud Tasks is at-least-once) — across the 2026 DST changes and in
 * 30/45-minute offset zones; preferences; empty summaries; the figures of a scripted set of tasks;
 * rescheduling; the sweep's reads; the deployed adapters.
 */
const fft = functionsTest({ projectId: 'demo-taskflow' });
const fs = createTestFirestore();
const clock = new FixedClock('2026-03-01T00:00:00Z');
const MINUTE = 60_000;
const TICK = 15 * MINUTE;

interface Sent {
  uid: string;
  category: string;
  at: Date;
  message: EmailMessage;
}
let sent: Sent[] = [];
let runtime = testRuntime(fs.db, { clock });
let notifier: NotifierDeps;

beforeEach(() => {
  clock.set('2026-03-01T00:00:00Z');
  runtime = testRuntime(fs.db, { clock });
  sent = [];
  // The recording mailer, stamped with the clock: when each email went out.
  const mailer: Mailer = {
    send(message) {
      sent.push({
        uid: message.customArgs.userId ?? '',
        category: message.category,
        at: clock.now(),
        message,
      });
      return runtime.mail.send(message);
    },
  };
  runtime = { ...runtime, deps: { ...runtime.deps, mailer } };
  notifier = notifierDeps(runtime.deps, runtime.logger);
  setRuntimeForTesting(runtime);
});
afterEach(() => fs.clear());
afterAll(async () => {
  setRuntimeForTesting(undefined);
  fft.cleanup();
  await fs.dispose();
});

async function user(uid: string, over: Omit<ProfileOverrides, 'locale'> = {}): Promise<void> {
  await fs.db.doc(`users/${uid}`).set(profileDoc(uid, { ...over, locale: 'en-GB' }));
  await scheduleUserDigest(fs.db, clock, uid);
}

const ts = (iso: string) => Timestamp.fromDate(new Date(iso));

async function task(id: string, over: Record<string, unknown>): Promise<void> {
  await fs.db.doc(`tasks/${id}`).set({
    title: `Task ${id}`,
    description: '',
    projectId: 'p1',
    workspaceId: 'w1',
    createdBy: 'someone',
    assigneeId: null,
    status: 'todo',
    priority: 'medium',
    dueDate: null,
    completedAt: null,
    recurrence: null,
    deletedAt: null,
    createdAt: ts('2026-01-01T00:00:00Z'),
    updatedAt: ts('2026-01-01T00:00:00Z'),
    ...over,
  });
}

/** An open task long overdue: makes a user's summary non-empty every day. */
const overdueTask = (uid: string) =>
  task(`${uid}-overdue`, { assigneeId: uid, dueDate: ts('2026-01-01T12:00:00Z') });

const sweep = (queue: DigestQueue) =>
  enqueueDueDigests({ db: fs.db, clock, logger: runtime.logger }, queue);

/**
 * One Cloud Scheduler tick: two sweeps at once (an overlapping run), then every job they enqueued
 * delivered twice at once (Cloud Tasks is at-least-once).
 */
async function tick(queue: RecordingDigestQueue): Promise<void> {
  await Promise.all([sweep(queue), sweep(queue)]);
  const jobs = queue.take();
  await Promise.all(jobs.flatMap((job) => [0, 1].map(() => sendUserDigest(notifier, job))));
}

/** Ticks every 15 minutes from `from` (exclusive) through `to` (inclusive). */
async function simulate(from: Date, to: Date, queue: RecordingDigestQueue): Promise<void> {
  for (let t = from.getTime() + TICK; t <= to.getTime(); t += TICK) {
    clock.set(new Date(t));
    await tick(queue);
  }
}

const wall = (at: Date, zone: string) => formatInTimeZone(at, zone, 'yyyy-MM-dd HH:mm xxx');

async function schedule(uid: string, period: 'daily' | 'weekly') {
  const snap = await fs.db.doc(`${DIGEST_SCHEDULE}/${uid}_${period}`).get();
  return snap.data() as DigestScheduleDoc | undefined;
}

async function marker(uid: string, period: string, key: string) {
  const snap = await fs.db.doc(`${DIGESTS}/${uid}_${period}_${key}`).get();
  return snap.data() as DigestMarkerDoc | undefined;
}

describe('exactly one daily digest per local day across the 2026 DST changes', () => {
  // Each zone at 08:00, and at the hour its clocks change (gap or repeat) where it has one.
  const USERS: Record<string, readonly [zone: string, hour: number]> = {
    ny8: ['America/New_York', 8],
    ny2: ['America/New_York', 2],
    ny1: ['America/New_York', 1],
    lon8: ['Europe/London', 8],
    lon1: ['Europe/London', 1],
    kol8: ['Asia/Kolkata', 8],
    kol0: ['Asia/Kolkata', 0],
    lh8: ['Australia/Lord_Howe', 8],
    lh2: ['Australia/Lord_Howe', 2],
    ch8: ['Pacific/Chatham', 8],
    ch3: ['Pacific/Chatham', 3],
  };

  // 48 hours from noon (local) the day before each change; `wants`: the change day's digests as
  // the wall clock shows them. Asia/Kolkata (+05:30, no DST) rides along with New York.
  const WINDOWS: readonly (readonly [
    name: string,
    start: string,
    wants: readonly (readonly [uid: string, shown: string])[],
  ])[] = [
    [
      'New York spring forward (8 Mar), and Kolkata',
      '2026-03-07T17:00:00Z',
      [
        ['ny8', '2026-03-08 08:00 -04:00'],
        ['ny2', '2026-03-08 03:00 -04:00'], // 02:00 does not exist: first instant after the gap
        ['ny1', '2026-03-08 01:00 -05:00'],
        ['kol8', '2026-03-08 08:00 +05:30'],
      ],
    ],
    [
      'London spring forward (29 Mar)',
      '2026-03-28T12:00:00Z',
      [
        ['lon8', '2026-03-29 08:00 +01:00'],
        ['lon1', '2026-03-29 02:00 +01:00'],
      ],
    ],
    [
      'Lord Howe and Chatham fall back (5 Apr)',
      '2026-04-03T22:00:00Z',
      [
        ['lh8', '2026-04-05 08:00 +10:30'],
        ['lh2', '2026-04-05 02:00 +10:30'],
        ['ch8', '2026-04-05 08:00 +12:45'],
        ['ch3', '2026-04-05 03:00 +13:45'], // 02:45–03:45 repeats: the first 03:00 only
      ],
    ],
    [
      'Chatham spring forward (27 Sep)',
      '2026-09-25T23:00:00Z',
      [
        ['ch8', '2026-09-27 08:00 +13:45'],
        ['ch3', '2026-09-27 03:45 +13:45'],
      ],
    ],
    [
      'Lord Howe spring forward (4 Oct)',
      '2026-10-03T01:00:00Z',
      [
        ['lh8', '2026-10-04 08:00 +11:00'],
        ['lh2', '2026-10-04 02:30 +11:00'],
      ],
    ],
    [
      'London fall back (25 Oct)',
      '2026-10-24T11:00:00Z',
      [
        ['lon8', '2026-10-25 08:00 +00:00'],
        ['lon1', '2026-10-25 01:00 +01:00'],
      ],
    ],
    [
      'New York fall back (1 Nov), and Kolkata',
      '2026-10-31T16:00:00Z',
      [
        ['ny8', '2026-11-01 08:00 -05:00'],
        ['ny1', '2026-11-01 01:00 -04:00'],
        ['ny2', '2026-11-01 02:00 -05:00'],
        ['kol8', '2026-11-01 08:00 +05:30'],
        ['kol0', '2026-11-01 00:00 +05:30'],
      ],
    ],
  ];

  it.each(WINDOWS)(
    '%s',
    async (_name, startIso, wants) => {
      const start = new Date(startIso);
      const end = new Date(start.getTime() + 48 * 60 * MINUTE);
      clock.set(start);
      const uids = [...new Set(wants.map(([uid]) => uid))];
      for (const uid of uids) {
        const [timezone, digestHour] = USERS[uid] ?? ['UTC', 8];
        await user(uid, { timezone, prefs: { digestHour } });
        await overdueTask(uid);
      }
      await simulate(start, end, recordingDigestQueue());

      for (const uid of uids) {
        const [zone, hour] = USERS[uid] ?? ['UTC', 8];
        // Every local date whose digest time falls in the window: once, at that time.
        const expected: string[] = [];
        for (let d = localDateOf(start, zone); d <= localDateOf(end, zone); d = addDays(d, 1)) {
          const at = localInstant(d, hour, zone).getTime();
          if (at > start.getTime() && at <= end.getTime()) expected.push(wall(new Date(at), zone));
        }
        const of = (category: string) =>
          sent.filter((s) => s.uid === uid && s.category === category).map((s) => wall(s.at, zone));
        expect({ uid, daily: of('daily_summary') }).toEqual({ uid, daily: expected });
        // Weekly (default Monday): on Mondays only, once.
        const mondays = expected.filter((w) => isoWeekday(w.slice(0, 10)) === 1);
        expect({ uid, weekly: of('weekly_summary') }).toEqual({ uid, weekly: mondays });
      }
      for (const [uid, shown] of wants) {
        const zone = USERS[uid]?.[0] ?? 'UTC';
        const daily = sent.filter((s) => s.uid === uid && s.category === 'daily_summary');
        expect(daily.map((s) => wall(s.at, zone))).toContain(shown);
      }
    },
    120_000,
  );

  it('without Cloud Tasks de-duplication, overlapping sweeps and redelivered jobs still send once', async () => {
    clock.set('2026-03-08T00:00:00Z');
    await user('ch3', {
      timezone: 'Pacific/Chatham',
      prefs: { digestHour: 3, weeklySummary: false },
    });
    await overdueTask('ch3');
    const queue = recordingDigestQueue({ dedupe: false });
    await simulate(clock.now(), new Date('2026-03-09T00:00:00Z'), queue);
    // Both overlapping sweeps enqueued it (2 jobs), each delivered twice: one email.
    expect(queue.jobs.filter((j) => j.job.period === 'daily')).toHaveLength(2);
    expect(sent.map((s) => wall(s.at, 'Pacific/Chatham'))).toEqual(['2026-03-09 03:00 +13:45']);
  });
});

describe('weekly digest', () => {
  it('goes out on the chosen weekday only, at the digest hour (45-minute offset zone)', async () => {
    // Tuesday 3 to Wednesday 11 March, every 15 minutes; emailFrequency weekly: no daily.
    clock.set('2026-03-03T18:00:00Z');
    await user('raj', {
      timezone: 'Asia/Kathmandu',
      prefs: { weeklyDigestDay: 3, emailFrequency: 'weekly' },
    });
    await overdueTask('raj');
    expect((await schedule('raj', 'daily'))?.nextAt).toBeNull();
    await simulate(clock.now(), new Date('2026-03-11T06:00:00Z'), recordingDigestQueue());
    expect(sent.map((s) => [s.category, wall(s.at, 'Asia/Kathmandu')])).toEqual([
      ['weekly_summary', '2026-03-04 08:00 +05:45'],
      ['weekly_summary', '2026-03-11 08:00 +05:45'],
    ]);
    expect(sent[1]?.message.text).toContain('Completed in the last 7 days (0)');
    expect(await marker('raj', 'weekly', '2026-W11')).toMatchObject({ status: 'sent' });
  }, 120_000);
});

describe('who gets nothing', () => {
  const QUIET: readonly (readonly [string, Partial<NotificationPreferences>, string | null])[] = [
    ['emailFrequency never', { emailFrequency: 'never' }, 'email_frequency_never'],
    ['daily summary off', { dailySummary: false }, 'dailySummary_disabled'],
    ['all email off', { emailNotifications: false }, 'email_disabled'],
  ];

  it.each(QUIET)('%s: not scheduled, and a stray job sends nothing', async (_n, prefs, reason) => {
    clock.set('2026-03-09T00:00:00Z');
    await user('ann', { prefs });
    await overdueTask('ann');
    expect(await schedule('ann', 'daily')).toMatchObject({ nextAt: null, enabled: false });
    const queue = recordingDigestQueue();
    await simulate(clock.now(), new Date('2026-03-10T00:00:00Z'), queue);
    expect(queue.jobs.filter((j) => j.job.period === 'daily')).toEqual([]);
    // A job enqueued before the change (or by hand) is checked again when it runs.
    const res = await sendUserDigest(notifier, {
      uid: 'ann',
      period: 'daily',
      localDate: '2026-03-09',
    });
    expect(res).toMatchObject({ outcome: 'skipped', reason });
    expect(sent.filter((s) => s.category === 'daily_summary')).toEqual([]);
    expect(await marker('ann', 'daily', '2026-03-09')).toMatchObject({ status: 'skipped', reason });
  });

  it('no email address: not scheduled; a stray job is skipped', async () => {
    await user('ann', { email: null });
    expect(await schedule('ann', 'daily')).toMatchObject({ nextAt: null, enabled: false });
    const res = await sendUserDigest(notifier, {
      uid: 'ann',
      period: 'weekly',
      localDate: '2026-03-02',
    });
    expect(res).toMatchObject({ outcome: 'skipped', reason: 'no_email' });
  });

  it('an empty summary is not sent; the marker says so and the schedule moves on', async () => {
    clock.set('2026-03-09T00:00:00Z');
    await user('ann', { prefs: { weeklySummary: false } });
    await task('elsewhere', { assigneeId: 'bob', dueDate: ts('2026-03-01T00:00:00Z') });
    const queue = recordingDigestQueue();
    await simulate(clock.now(), new Date('2026-03-09T09:00:00Z'), queue);
    expect(queue.jobs.map((j) => j.job)).toEqual([
      { uid: 'ann', period: 'daily', localDate: '2026-03-09' },
    ]);
    expect(sent).toEqual([]);
    expect(await marker('ann', 'daily', '2026-03-09')).toMatchObject({
      status: 'skipped',
      reason: 'empty',
      figures: { completed: 0, previousCompleted: 0, upcoming: 0, overdue: 0 },
    });
    expect(await schedule('ann', 'daily')).toMatchObject({
      localDate: '2026-03-10',
      lastLocalDate: '2026-03-09',
    });
  });

  it('a deleted account: skipped, and its schedule removed', async () => {
    clock.set('2026-03-09T00:00:00Z');
    await user('gone');
    await fs.db.doc('users/gone').delete();
    const res = await sendUserDigest(notifier, {
      uid: 'gone',
      period: 'daily',
      localDate: '2026-03-09',
    });
    expect(res).toMatchObject({ outcome: 'skipped', reason: 'no_user' });
    expect(await schedule('gone', 'daily')).toBeUndefined();
    expect(await schedule('gone', 'weekly')).toBeUndefined();
  });

  it('a deleted account swept, its job run after the sweep: the schedule is removed', async () => {
    clock.set('2026-03-09T07:00:00Z');
    await user('gone', { prefs: { weeklySummary: false } });
    await fs.db.doc('users/gone').delete();
    clock.set('2026-03-09T08:00:00Z');
    const queue = inlineDigestQueue((job) => sendUserDigest(notifier, job));
    expect(await sweep(queue)).toMatchObject({ due: 1, enqueued: 1, failed: 0 });
    expect(await queue.drain()).toEqual({ ran: 1, failed: 0 });
    expect(await schedule('gone', 'daily')).toBeUndefined();
    expect(await marker('gone', 'daily', '2026-03-09')).toMatchObject({ reason: 'no_user' });
    expect(await sweep(queue)).toMatchObject({ due: 0 });
  });
});

describe('content', () => {
  const NY = 'America/New_York';

  it('a scripted week: completed yesterday, the trend, deadlines in 7 days, overdue', async () => {
    // Sunday 8 March is a 23-hour day in New York (spring forward).
    clock.set('2026-03-09T00:00:00Z');
    await user('ann', { timezone: NY });
    const done = (id: string, at: string, over: Record<string, unknown> = {}) =>
      task(id, { assigneeId: 'ann', status: 'done', completedAt: ts(at), ...over });
    const open = (id: string, due: string, over: Record<string, unknown> = {}) =>
      task(id, { assigneeId: 'ann', dueDate: ts(due), ...over });
    // Yesterday (local): 00:30 EST and 23:59 EDT count; today's first minute does not.
    await done('c-early', '2026-03-08T05:30:00Z', { title: 'Write the launch post' });
    await done('c-late', '2026-03-09T03:59:00Z', { title: 'Fix <b>login</b>' });
    await done('c-today', '2026-03-09T04:00:00Z');
    // The day before: two (one deleted, one someone else's do not count).
    await done('p-1', '2026-03-07T17:00:00Z');
    await done('p-2', '2026-03-08T04:59:00Z');
    await done('p-deleted', '2026-03-07T18:00:00Z', { deletedAt: ts('2026-03-08T00:00:00Z') });
    await done('p-other', '2026-03-07T18:00:00Z', { assigneeId: 'bob' });
    // Due within 7 days of the send (Mon 08:00 EDT = 12:00Z): in; later, done, deleted: out.
    await open('u-tomorrow', '2026-03-10T16:00:00Z', { title: 'Review budget' });
    await open('u-6days', '2026-03-15T12:00:00Z', { status: 'in_progress' });
    await open('u-too-late', '2026-03-16T12:00:00Z');
    await open('u-done', '2026-03-11T12:00:00Z', {
      status: 'done',
      completedAt: ts('2026-03-09T05:00:00Z'),
    });
    await open('u-deleted', '2026-03-11T12:00:00Z', { deletedAt: ts('2026-03-01T00:00:00Z') });
    // Overdue: open and due before the send; not deleted; a task without a due date never is.
    await open('o-old', '2026-02-20T12:00:00Z', { title: 'Renew certificate' });
    await open('o-morning', '2026-03-09T11:00:00Z');
    await open('o-deleted', '2026-02-20T12:00:00Z', { deletedAt: ts('2026-03-01T00:00:00Z') });
    await task('no-due', { assigneeId: 'ann' });

    const queue = recordingDigestQueue();
    await simulate(clock.now(), new Date('2026-03-09T12:00:00Z'), queue);
    const daily = sent.filter((s) => s.category === 'daily_summary');
    const weekly = sent.filter((s) => s.category === 'weekly_summary');
    expect(daily).toHaveLength(1);
    expect(weekly).toHaveLength(1);
    const email = daily[0]?.message;
    expect(wall(daily[0]?.at ?? new Date(0), NY)).toBe('2026-03-09 08:00 -04:00');
    expect(email?.to).toBe('ann@taskflow.test');
    expect(email?.subject).toBe('Your daily summary — 2 done, 2 due soon, 2 overdue');
    expect(email?.headers['List-Unsubscribe']).toContain('/api/unsubscribe?token=');
    const text = email?.text ?? '';
    expect(text).toContain('Sun 8 Mar 2026');
    expect(text).toContain(
      'You completed 2 tasks yesterday, as many as the day before. 2 tasks are overdue.',
    );
    expect(text).toContain(
      [
        'Overdue (2)',
        '- Renew certificate (was due Fri 20 Feb, 07:00)',
        '  https://app.taskflow.test/tasks/o-old',
        '- Task o-morning (was due Mon 9 Mar, 07:00)',
      ].join('\n'),
    );
    expect(text).toContain(
      ['Due in the next 7 days (2)', '- Review budget (due Tue 10 Mar, 12:00)'].join('\n'),
    );
    expect(text).toContain('- Task u-6days (due Sun 15 Mar, 08:00)');
    expect(text).not.toContain('u-too-late');
    // Completed, latest first; user text escaped in the HTML part.
    expect(text).toContain(
      [
        'Completed yesterday (2)',
        '- Fix <b>login</b>',
        '  https://app.taskflow.test/tasks/c-late',
        '- Write the launch post',
      ].join('\n'),
    );
    expect(email?.html).toContain('Fix &lt;b&gt;login&lt;/b&gt;');
    expect(text).toContain('Times are in America/New_York.');
    expect(await marker('ann', 'daily', '2026-03-09')).toMatchObject({
      status: 'sent',
      email: 'sent',
      figures: { completed: 2, previousCompleted: 2, changePercent: 0, upcoming: 2, overdue: 2 },
    });
    // Email only: no inbox item, no push.
    expect((await fs.db.collection('users/ann/notifications').get()).size).toBe(0);
    expect(runtime.messaging.sent).toEqual([]);
    const records = await fs.db.collection(DELIVERIES).get();
    expect(records.docs.map((d) => [d.get('channels'), d.get('category')]).sort()).toEqual([
      [['email'], 'daily_summary'],
      [['email'], 'weekly_summary'],
    ]);

    // The weekly one (Monday): last week, Mon 2 – Sun 8 March, against the week before.
    const w = weekly[0]?.message.text ?? '';
    expect(weekly[0]?.message.subject).toBe('Your weekly summary — 4 done, 2 due soon, 2 overdue');
    expect(w).toContain('2–8 Mar 2026');
    expect(w).toContain('Completed last week (4)');
    expect(w).toContain('You completed 4 tasks last week, up from none the week before.');
  });

  it('long lists: the email shows 10 and the exact total from a count()', async () => {
    clock.set('2026-03-09T07:00:00Z');
    await user('ann', { prefs: { weeklySummary: false } });
    for (let i = 0; i < 14; i++) {
      await task(`o${String(i).padStart(2, '0')}`, {
        assigneeId: 'ann',
        dueDate: ts(`2026-02-${String(i + 1).padStart(2, '0')}T12:00:00Z`),
      });
    }
    const reads = countReads(fs.db);
    try {
      const res = await sendUserDigest(notifier, {
        uid: 'ann',
        period: 'daily',
        localDate: '2026-03-09',
      });
      expect(res.figures).toMatchObject({ overdue: 14 });
      // Ten overdue tasks listed, never all fourteen; one aggregation for the total.
      expect(reads.log.documents.tasks).toBe(10);
      expect(reads.log.aggregations.tasks).toBe(2); // the overdue total, the previous day's count
    } finally {
      reads.restore();
    }
    const text = sent[0]?.message.text ?? '';
    expect(sent[0]?.message.subject).toBe('Your daily summary — 0 done, 0 due soon, 14 overdue');
    expect(text).toContain('Overdue (14)');
    expect(text).toContain('- and 4 more: https://app.taskflow.test');
  });

  it('a job delivered again after it finished does nothing, and reads almost nothing', async () => {
    clock.set('2026-03-09T08:00:00Z');
    await user('ann', { prefs: { weeklySummary: false } });
    await overdueTask('ann');
    const job: DigestJob = { uid: 'ann', period: 'daily', localDate: '2026-03-09' };
    expect((await sendUserDigest(notifier, job)).outcome).toBe('sent');
    const reads = countReads(fs.db);
    try {
      expect((await sendUserDigest(notifier, job)).outcome).toBe('duplicate');
      expect(reads.log.documents).toEqual({ digests: 1 });
    } finally {
      reads.restore();
    }
    expect(sent).toHaveLength(1);
  });

  it('a marker left building by a crashed attempt is finished by the retry, without a second email', async () => {
    clock.set('2026-03-09T08:00:00Z');
    await user('ann', { prefs: { weeklySummary: false } });
    await overdueTask('ann');
    const job: DigestJob = { uid: 'ann', period: 'daily', localDate: '2026-03-09' };
    await sendUserDigest(notifier, job);
    // As if the first attempt had sent and died before recording it.
    await fs.db.doc(`${DIGESTS}/ann_daily_2026-03-09`).update({ status: 'building' });
    // Another delivery while the claim is fresh leaves it to its owner…
    expect((await sendUserDigest(notifier, job)).outcome).toBe('duplicate');
    // …the queue's retry (≥ 60 s later, past the build lease) finishes it.
    clock.advance(60_000);
    const retry = await sendUserDigest(notifier, job);
    expect(retry.outcome).toBe('sent');
    expect(sent).toHaveLength(1);
    expect(await marker('ann', 'daily', '2026-03-09')).toMatchObject({
      status: 'sent',
      attempts: 2,
    });
  });
});

describe('rescheduling', () => {
  it('a preference change moves the next digest; switching a summary off and on', async () => {
    clock.set('2026-03-09T06:00:00Z'); // 07:00 in Berlin
    await user('ann', { timezone: 'Europe/Berlin' });
    expect((await schedule('ann', 'daily'))?.nextAt?.toDate().toISOString()).toBe(
      '2026-03-09T07:00:00.000Z',
    );
    await updatePreferences(fs.db, clock, 'ann', { digestHour: 18 });
    expect(await schedule('ann', 'daily')).toMatchObject({ localDate: '2026-03-09', hour: 18 });
    expect((await schedule('ann', 'daily'))?.nextAt?.toDate().toISOString()).toBe(
      '2026-03-09T17:00:00.000Z',
    );
    await updatePreferences(fs.db, clock, 'ann', { weeklyDigestDay: 5 });
    expect(await schedule('ann', 'weekly')).toMatchObject({ localDate: '2026-03-13', weekday: 5 });
    await updatePreferences(fs.db, clock, 'ann', { emailFrequency: 'weekly' });
    expect(await schedule('ann', 'daily')).toMatchObject({ nextAt: null, enabled: false });
    expect(await schedule('ann', 'weekly')).toMatchObject({ localDate: '2026-03-13' });
    await updatePreferences(fs.db, clock, 'ann', { emailFrequency: 'daily' });
    expect(await schedule('ann', 'daily')).toMatchObject({
      localDate: '2026-03-09',
      enabled: true,
    });
  });

  it('an unrelated change keeps a digest that is due but not yet swept', async () => {
    clock.set('2026-03-09T07:00:00Z');
    await user('ann');
    await overdueTask('ann');
    clock.set('2026-03-09T08:00:05Z'); // the tick's sweep has not run yet
    await updatePreferences(fs.db, clock, 'ann', { taskAssignment: false });
    expect(await schedule('ann', 'daily')).toMatchObject({ localDate: '2026-03-09' });
    const queue = recordingDigestQueue();
    await tick(queue);
    expect(sent.map((s) => s.category)).toContain('daily_summary');
  });

  it('a time zone written by the app (the users/{uid} trigger) moves the digest; no date twice', async () => {
    clock.set('2026-03-09T00:00:00Z');
    await user('ann', { timezone: 'Asia/Kolkata', prefs: { weeklySummary: false } });
    await overdueTask('ann');
    const queue = recordingDigestQueue();
    await simulate(clock.now(), new Date('2026-03-09T03:00:00Z'), queue); // 08:00 Kolkata done
    expect(sent).toHaveLength(1);
    // The app moves the user to New York, where it is still the evening of 8 March.
    const before = (await fs.db.doc('users/ann').get()).data();
    await fs.db.doc('users/ann').update({ timezone: 'America/New_York' });
    const after = (await fs.db.doc('users/ann').get()).data();
    const wrapped = fft.wrap(onUserProfileWritten);
    await wrapped({
      id: 'evt-1',
      params: { uid: 'ann' },
      data: fft.makeChange(
        fft.firestore.makeDocumentSnapshot(before ?? {}, 'users/ann'),
        fft.firestore.makeDocumentSnapshot(after ?? {}, 'users/ann'),
      ),
    });
    // Not 9 March again (already served), but 10 March at 08:00 New York time.
    expect(await schedule('ann', 'daily')).toMatchObject({
      localDate: '2026-03-10',
      timezone: 'America/New_York',
    });
    await simulate(clock.now(), new Date('2026-03-11T00:00:00Z'), queue);
    expect(sent.map((s) => wall(s.at, 'America/New_York'))).toEqual([
      '2026-03-08 22:30 -04:00',
      '2026-03-10 08:00 -04:00',
    ]);
    // A write that changes nothing a digest depends on does not reschedule.
    const logs = runtime.logger.lines.length;
    await wrapped({
      id: 'evt-2',
      params: { uid: 'ann' },
      data: fft.makeChange(
        fft.firestore.makeDocumentSnapshot(after ?? {}, 'users/ann'),
        fft.firestore.makeDocumentSnapshot({ ...after, name: 'Ann B.' }, 'users/ann'),
      ),
    });
    expect(runtime.logger.lines.slice(logs).map((l) => l.message)).not.toContain(
      'Digest schedule updated',
    );
  });

  it('a new account is scheduled at sign-up (createUserProfile)', async () => {
    clock.set('2026-03-09T09:00:00Z');
    await createUserProfile(fs.db, clock, { uid: 'new', email: 'new@taskflow.test' });
    expect(await schedule('new', 'daily')).toMatchObject({
      localDate: '2026-03-10',
      timezone: 'UTC',
      hour: 8,
      enabled: true,
    });
    expect(await schedule('new', 'weekly')).toMatchObject({ localDate: '2026-03-16' });
  });

  it('after an outage, a digest whose local date has passed is skipped, not sent late', async () => {
    clock.set('2026-03-09T00:00:00Z');
    await user('ann', { prefs: { weeklySummary: false } });
    await overdueTask('ann');
    clock.set('2026-03-10T06:00:00Z'); // the 9 March digest (08:00 UTC) was never swept
    const queue = recordingDigestQueue();
    const report = await sweep(queue);
    expect(report).toMatchObject({ due: 1, missed: 1, enqueued: 0 });
    expect(await schedule('ann', 'daily')).toMatchObject({ localDate: '2026-03-10' });
    await simulate(clock.now(), new Date('2026-03-10T08:00:00Z'), queue);
    expect(sent.map((s) => s.at.toISOString())).toEqual(['2026-03-10T08:00:00.000Z']);
  });
});

describe('the sweep reads only what is due', () => {
  it('about one read per due digest; none of users, tasks, or of users not due', async () => {
    clock.set('2026-03-09T00:00:00Z');
    const due = 120;
    // 120 users due at 08:00 UTC, 80 in New York due later; profiles and schedules written in
    // batches as scheduleUserDigest would write them (seeding is not what is measured).
    const batch = fs.db.batch();
    for (let i = 0; i < due + 80; i++) {
      const uid = `u${i}`;
      const profile = {
        email: `${uid}@taskflow.test`,
        timezone: i < due ? 'UTC' : 'America/New_York',
        notificationPreferences: { weeklySummary: false },
      };
      batch.set(fs.db.doc(`users/${uid}`), profile);
      const inputs = digestInputsOf(profile);
      if (inputs === null) throw new Error('no inputs');
      batch.set(
        fs.db.doc(`${DIGEST_SCHEDULE}/${uid}_daily`),
        plannedSchedule(uid, 'daily', inputs.daily, clock.now(), null),
      );
    }
    await batch.commit();
    clock.set('2026-03-09T08:00:00Z');
    const queue = recordingDigestQueue();
    const reads = countReads(fs.db);
    let report;
    try {
      report = await enqueueDueDigests({ db: fs.db, clock, logger: runtime.logger }, queue, {
        pageSize: 50,
      });
    } finally {
      reads.restore();
    }
    expect(report).toMatchObject({ due, enqueued: due, pages: 3, failed: 0 });
    // 120 documents in 3 pages of at most 50 (the last one short, so no fourth query).
    expect(reads.log.documents).toEqual({ [DIGEST_SCHEDULE]: due });
    expect(report.documentsRead).toBe(due);
    expect(queue.jobs).toHaveLength(due);
    // Nothing due: one empty query.
    const again = await sweep(recordingDigestQueue());
    expect(again).toMatchObject({ due: 0, documentsRead: 1, pages: 1 });
  });
});

describe('a schedule that cannot be handled', () => {
  it('is skipped and recorded, never stalling the schedules after it; quarantined at last', async () => {
    const batch = fs.db.batch();
    for (let i = 0; i < 30; i++) {
      const uid = `u${String(i).padStart(2, '0')}`;
      const profile = { email: `${uid}@taskflow.test`, timezone: 'UTC' };
      batch.set(fs.db.doc(`users/${uid}`), profile);
      const inputs = digestInputsOf(profile);
      if (inputs === null) throw new Error('no inputs');
      batch.set(
        fs.db.doc(`${DIGEST_SCHEDULE}/${uid}_daily`),
        plannedSchedule(uid, 'daily', inputs.daily, clock.now(), null),
      );
    }
    await batch.commit();
    clock.set('2026-03-01T08:00:00Z');
    const inner = recordingDigestQueue();
    // The queue refuses one user's job every time (a poisoned document, as far as the sweep knows).
    const queue: DigestQueue = {
      enqueue: (job, options) =>
        job.uid === 'u00' ? Promise.reject(new Error('refused')) : inner.enqueue(job, options),
    };
    const run = () =>
      enqueueDueDigests({ db: fs.db, clock, logger: runtime.logger }, queue, { pageSize: 10 });
    expect(await run()).toMatchObject({ due: 30, enqueued: 29, failed: 1 });
    await run();
    await run();
    const schedule = await fs.db.doc(`${DIGEST_SCHEDULE}/u00_daily`).get();
    expect(schedule.get('nextAt')).toBeNull();
    const errors = (await fs.db.collection('sweepErrors').get()).docs.map((d) => d.data());
    expect(errors).toEqual([
      expect.objectContaining({ sweep: 'enqueueDueDigests', attempts: 3, quarantined: true }),
    ]);
  });
});

describe('deployed adapters', () => {
  it('quarterHourlyDigests runs the sweep (jobs run inline with TASK_QUEUE_TRANSPORT=inline) and records its run', async () => {
    // The transport is a declared param (a local stack without Cloud Tasks says `inline`).
    process.env.TASK_QUEUE_TRANSPORT = 'inline';
    clock.set('2026-03-09T07:00:00Z');
    await user('ann', { prefs: { weeklySummary: false } });
    await overdueTask('ann');
    clock.set('2026-03-09T08:00:00Z');
    await quarterHourlyDigests.run({ scheduleTime: '2026-03-09T08:00:00Z' });
    expect(sent.map((s) => s.category)).toEqual(['daily_summary']);
    const line = runtime.logger.lines.find((l) => l.message === 'Digest sweep');
    expect(line).toMatchObject({
      function: 'quarterHourlyDigests',
      due: 1,
      enqueued: 1,
      failed: 0,
      ranInline: { ran: 1, failed: 0 },
    });
    expect((await fs.db.doc('jobHealth/quarterHourlyDigests').get()).data()).toMatchObject({
      lastStatus: 'ok',
      periodSeconds: (15 * MINUTE) / 1000,
    });
  });

  it('sendDigest parses its payload and sends; a malformed payload is logged and dropped', async () => {
    clock.set('2026-03-09T08:00:00Z');
    await user('ann', { prefs: { weeklySummary: false } });
    await overdueTask('ann');
    const request = (data: unknown) =>
      ({
        data,
        id: 'task-1',
        queueName: 'sendDigest',
        retryCount: 0,
        executionCount: 0,
        scheduledTime: '2026-03-09T08:00:00Z',
      }) as never;
    await sendDigest.run(request({ uid: 'ann', period: 'daily', localDate: '2026-03-09' }));
    await sendDigest.run(request({ uid: 'ann', period: 'daily', localDate: '2026-03-09' }));
    expect(sent).toHaveLength(1);
    await sendDigest.run(request({ uid: 'ann', period: 'hourly', localDate: 'yesterday' }));
    expect(runtime.logger.lines.map((l) => l.message)).toContain('Not a digest job; dropped');
    expect(sent).toHaveLength(1);
  });
});
