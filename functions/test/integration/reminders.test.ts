import { Timestamp } from 'firebase-admin/firestore';
import { FixedClock } from '../../src/core/clock';
import { JOB_HEALTH } from '../../src/domain/health/job-health.service';
import { notifierDeps, type NotifierDeps } from '../../src/domain/notifications/delivery.service';
import { armTaskReminders } from '../../src/domain/reminders/reminder-arming.service';
import { runOverdueJob, runReminderJob } from '../../src/domain/reminders/reminder-jobs.service';
import {
  runOverdueSweep,
  runReminderSweep,
} from '../../src/domain/reminders/reminder-sweeps.service';
import { type SweepReport } from '../../src/domain/reminders/reminder-sweep-report';
import { getTask, updateTask } from '../../src/domain/tasks/task.service';
import { taskSchema } from '../../src/domain/tasks/task.schema';
import { registerDevice } from '../../src/domain/users/devices.service';
import type { NotificationPreferences } from '../../src/domain/users/preferences.schema';
import { createTaskOp, updateTaskOp } from '../../src/operations/tasks.operations';
import { createTestFirestore } from '../support/firestore';
import { countReads } from '../support/firestore-reads';
import { testRuntime } from '../support/runtime';

/**
 * Due-date reminders and overdue notices end to end on Firestore: arming (what the task trigger
 * calls), the two sweeps under a fixed clock with overlapping runs, the engine delivering inbox,
 * push (recording FCM transport behind the real adapter) and email (recording mailer).
 */
const fs = createTestFirestore();
const clock = new FixedClock('2026-11-23T08:00:00Z');
let runtime = testRuntime(fs.db, { clock });
let deps: NotifierDeps;

beforeEach(() => {
  clock.set('2026-11-23T08:00:00Z');
  runtime = testRuntime(fs.db, { clock });
  deps = notifierDeps(runtime.deps, runtime.logger);
});
afterEach(() => fs.clear());
afterAll(() => fs.dispose());

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DUE = '2026-11-24T10:00:00Z';
const tok = (uid: string) => `${uid}-phone-${'t'.repeat(40)}`;

async function user(
  uid: string,
  prefs: Partial<NotificationPreferences> = {},
  timezone = 'Europe/Berlin',
): Promise<void> {
  await fs.db.doc(`users/${uid}`).set({
    name: uid.toUpperCase(),
    email: `${uid}@taskflow.test`,
    timezone,
    notificationPreferences: prefs,
  });
  await registerDevice(fs.db, clock, uid, { token: tok(uid), platform: 'android' });
}

const baseTask = () => ({
  title: 'Ship v1',
  description: '',
  projectId: 'p1',
  workspaceId: 'w1',
  createdBy: 'ann',
  updatedBy: 'ann',
  assigneeId: 'bob',
  status: 'todo',
  priority: 'medium',
  dueDate: Timestamp.fromDate(new Date(DUE)),
  completedAt: null,
  recurrence: null,
  deletedAt: null,
  createdAt: Timestamp.fromDate(clock.now()),
  updatedAt: Timestamp.fromDate(clock.now()),
});

/** Writes a task as a client would, then does what the task trigger does: arms it. */
async function writeTask(id: string, change: Record<string, unknown>, create = false) {
  const ref = fs.db.doc(`tasks/${id}`);
  const before = (await ref.get()).data() ?? null;
  if (create) await ref.set({ ...baseTask(), ...change });
  else await ref.update({ ...change, updatedAt: Timestamp.fromDate(clock.now()) });
  const after = (await ref.get()).data() ?? null;
  return armTaskReminders(deps, { taskId: id, before, after });
}

/** A client write the trigger has not handled yet (it runs late, or not at all). */
async function writeWithoutTrigger(id: string, change: Record<string, unknown>) {
  await fs.db.doc(`tasks/${id}`).update(change);
}

async function task(id: string) {
  return (await fs.db.doc(`tasks/${id}`).get()).data() ?? {};
}

/** The task's schedule: the reminder and overdue bookkeeping, kept outside the task. */
async function schedule(id: string) {
  return (await fs.db.doc(`taskSchedules/${id}`).get()).data() ?? {};
}

async function inbox(uid: string, type?: string) {
  const snap = await fs.db.collection(`users/${uid}/notifications`).orderBy('createdAt').get();
  return snap.docs.map((d) => d.data()).filter((n) => type === undefined || n.type === type);
}

const pushes = (uid: string, category?: string) =>
  runtime.messaging.sent.filter(
    (m) =>
      'token' in m && m.token === tok(uid) && (category === undefined || m.data?.type === category),
  );
const emails = (uid: string) => runtime.mail.sent.filter((m) => m.to === `${uid}@taskflow.test`);

/**
 * Every 5 minutes from now until `until`, a reminder sweep — or two at once (overlapping runs,
 * as when a slow run meets the next tick or Cloud Scheduler repeats one).
 */
async function tickReminders(
  until: string,
  options: { overlap?: boolean; onTick?: (at: Date) => Promise<void> } = {},
): Promise<SweepReport[]> {
  const reports: SweepReport[] = [];
  const runs = options.overlap === true ? 2 : 1;
  while (clock.now().getTime() <= new Date(until).getTime()) {
    if (options.onTick !== undefined) await options.onTick(clock.now());
    reports.push(
      ...(await Promise.all(Array.from({ length: runs }, () => runReminderSweep(deps)))),
    );
    clock.advance(5 * MINUTE);
  }
  return reports;
}

describe('due-date reminders', () => {
  it('a task due at 10:00 gets its 24 h and 1 h reminders exactly once each over a day of 5-minute ticks run twice over, none after completion', async () => {
    await user('bob');
    await writeTask('open', {}, true);
    await writeTask('done-early', { title: 'Write the post' }, true);
    expect((await schedule('open')).nextReminderAt).toEqual(
      Timestamp.fromDate(new Date('2026-11-23T10:00:00Z')),
    );

    const reports = await tickReminders('2026-11-24T12:00:00Z', {
      overlap: true,
      onTick: async (at) => {
        if (at.toISOString() === '2026-11-24T08:00:00.000Z')
          await writeTask('done-early', { status: 'done', completedAt: Timestamp.fromDate(at) });
      },
    });
    expect(reports).toHaveLength(2 * (28 * 12 + 1));

    const reminders = await inbox('bob', 'task_due_soon');
    const when = (n: Record<string, unknown>) =>
      `${(n.createdAt as Timestamp).toDate().toISOString()} ${String(n.taskId)}`;
    expect(reminders.map(when).sort()).toEqual([
      '2026-11-23T10:00:00.000Z done-early',
      '2026-11-23T10:00:00.000Z open',
      '2026-11-24T09:00:00.000Z open',
    ]);
    expect(reminders.map((n) => n.body)).toEqual(
      expect.arrayContaining([
        '"Ship v1" is due in 24 hours (Tue 24 Nov, 11:00)',
        '"Write the post" is due in 24 hours (Tue 24 Nov, 11:00)',
        '"Ship v1" is due in 1 hour (Tue 24 Nov, 11:00)',
      ]),
    );
    // Push and email: exactly one per reminder, whatever the overlap.
    expect(pushes('bob', 'task_due_soon')).toHaveLength(3);
    expect(emails('bob').map((m) => m.subject)).toEqual([
      expect.stringMatching(/^Due in 24 hours: (Ship v1|Write the post)$/),
      expect.stringMatching(/^Due in 24 hours: (Ship v1|Write the post)$/),
      'Due in 1 hour: Ship v1',
    ]);
    // The overlapping run found each one delivered already.
    const total = (k: keyof SweepReport) => reports.reduce((s, r) => s + (r[k] as number), 0);
    expect(total('acted')).toBe(3);
    expect(total('acted') + total('duplicates')).toBe(6);
    expect(total('failures')).toBe(0);
    expect((await schedule('open')).nextReminderAt).toBeNull();
    expect((await schedule('done-early')).nextReminderAt).toBeNull();
    expect((await schedule('open')).reminders).toMatchObject({ pending: [], sent: [1440, 60] });
  });

  it('re-dating re-arms: reminders for the new due time, none for the old one', async () => {
    await user('bob');
    await writeTask('t1', {}, true);
    await tickReminders('2026-11-23T12:00:00Z'); // the 24 h reminder of the old due date
    const moved = '2026-11-25T15:00:00Z';
    const armed = await writeTask('t1', { dueDate: Timestamp.fromDate(new Date(moved)) });
    expect(armed).toMatchObject({
      outcome: 'armed',
      nextReminderAt: new Date('2026-11-24T15:00:00Z'),
      overdueCheckAt: new Date(moved),
    });
    await tickReminders('2026-11-25T16:00:00Z');
    const times = (await inbox('bob', 'task_due_soon')).map((n) =>
      (n.createdAt as Timestamp).toDate().toISOString(),
    );
    expect(times).toEqual([
      '2026-11-23T10:00:00.000Z',
      '2026-11-24T15:00:00.000Z',
      '2026-11-25T14:00:00.000Z',
    ]);
  });

  it('a task re-dated, completed or deleted before its trigger ran is not reminded for the stale time', async () => {
    await user('bob');
    for (const id of ['redated', 'completed', 'deleted', 'unassigned'])
      await writeTask(id, {}, true);
    clock.set('2026-11-24T08:55:00Z');
    await writeWithoutTrigger('redated', {
      dueDate: Timestamp.fromDate(new Date('2026-11-26T10:00:00Z')),
    });
    await writeWithoutTrigger('completed', { status: 'done' });
    await writeWithoutTrigger('deleted', { deletedAt: Timestamp.fromDate(clock.now()) });
    await writeWithoutTrigger('unassigned', { assigneeId: null });
    clock.set('2026-11-24T09:00:00Z');
    const [report] = await Promise.all([runReminderSweep(deps)]);
    expect(report).toMatchObject({ tasksRead: 4, acted: 0, disarmed: 3, rearmed: 1 });
    expect(await inbox('bob', 'task_due_soon')).toEqual([]);
    // The re-dated one is planned again for its new due date.
    expect((await schedule('redated')).nextReminderAt).toEqual(
      Timestamp.fromDate(new Date('2026-11-25T10:00:00Z')),
    );
    for (const id of ['completed', 'deleted', 'unassigned'])
      expect((await schedule(id)).nextReminderAt).toBeNull();
  });

  it('completing, deleting or unassigning disarms at once; reopening re-arms without repeating', async () => {
    await user('bob');
    await writeTask('t1', {}, true);
    await tickReminders('2026-11-23T10:00:00Z');
    expect(await writeTask('t1', { status: 'done' })).toMatchObject({
      outcome: 'disarmed',
      nextReminderAt: null,
      overdueCheckAt: null,
    });
    expect(await writeTask('t1', { status: 'todo' })).toMatchObject({
      outcome: 'armed',
      nextReminderAt: new Date('2026-11-24T09:00:00Z'),
    });
    expect(await writeTask('t1', { deletedAt: Timestamp.fromDate(clock.now()) })).toMatchObject({
      outcome: 'disarmed',
    });
    expect(await writeTask('t1', { deletedAt: null })).toMatchObject({ outcome: 'armed' });
    expect(await writeTask('t1', { assigneeId: null })).toMatchObject({ outcome: 'disarmed' });
    await writeTask('unassigned', { assigneeId: null }, true);
    expect((await schedule('unassigned')).nextReminderAt ?? null).toBeNull();
    await tickReminders('2026-11-24T11:00:00Z');
    expect(await inbox('bob', 'task_due_soon')).toHaveLength(1);
  });

  it('a reassigned task reminds its new assignee, not the old one', async () => {
    await user('bob');
    await user('cat');
    await writeTask('t1', {}, true);
    await tickReminders('2026-11-23T10:00:00Z');
    clock.set('2026-11-24T06:00:00Z');
    await writeTask('t1', { assigneeId: 'cat' });
    await tickReminders('2026-11-24T11:00:00Z');
    expect((await inbox('bob', 'task_due_soon')).map((n) => n.body)).toEqual([
      '"Ship v1" is due in 24 hours (Tue 24 Nov, 11:00)',
    ]);
    expect((await inbox('cat', 'task_due_soon')).map((n) => n.body)).toEqual([
      '"Ship v1" is due in 1 hour (Tue 24 Nov, 11:00)',
    ]);
  });

  it("uses the assignee's lead times: [30] gives one reminder at 09:30", async () => {
    await user('bob', { reminderLeadMinutes: [30] }, 'UTC');
    await writeTask('t1', {}, true);
    await tickReminders('2026-11-24T11:00:00Z');
    const reminders = await inbox('bob', 'task_due_soon');
    expect(
      reminders.map((n) => [(n.createdAt as Timestamp).toDate().toISOString(), n.body]),
    ).toEqual([['2026-11-24T09:30:00.000Z', '"Ship v1" is due in 30 minutes (Tue 24 Nov, 10:00)']]);
  });

  it('a task armed 30 minutes before its due time gets one reminder at once, not a stale one', async () => {
    await user('bob', {}, 'UTC');
    clock.set('2026-11-24T09:30:00Z');
    expect(await writeTask('t1', {}, true)).toMatchObject({
      nextReminderAt: new Date('2026-11-24T09:30:00Z'),
    });
    await tickReminders('2026-11-24T11:00:00Z');
    expect((await inbox('bob', 'task_due_soon')).map((n) => n.body)).toEqual([
      '"Ship v1" is due in 30 minutes (Tue 24 Nov, 10:00)',
    ]);
  });

  it('with taskDueDate off the reminder reaches the inbox only: push and email are skipped', async () => {
    await user('bob', { taskDueDate: false });
    await writeTask('t1', {}, true);
    clock.set('2026-11-23T10:00:00Z');
    await runReminderSweep(deps);
    expect(await inbox('bob', 'task_due_soon')).toHaveLength(1);
    expect(pushes('bob')).toEqual([]);
    expect(emails('bob')).toEqual([]);
  });

  it('a lead time removed from the preferences after arming is not sent', async () => {
    await user('bob');
    await writeTask('t1', {}, true);
    await fs.db.doc('users/bob').update({ 'notificationPreferences.reminderLeadMinutes': [60] });
    await tickReminders('2026-11-24T11:00:00Z');
    expect((await inbox('bob', 'task_due_soon')).map((n) => n.body)).toEqual([
      '"Ship v1" is due in 1 hour (Tue 24 Nov, 11:00)',
    ]);
  });
});

describe('arming', () => {
  it('writes only the schedule, only when the bookkeeping changes: unrelated events and redeliveries do nothing', async () => {
    await user('bob');
    const ref = fs.db.doc('tasks/t1');
    const scheduleRef = fs.db.doc('taskSchedules/t1');
    await ref.set(baseTask());
    const createdSnap = await ref.get();
    const created = createdSnap.data() ?? null;
    expect(
      (await armTaskReminders(deps, { taskId: 't1', before: null, after: created })).outcome,
    ).toBe('armed');
    // The task itself is not written (no second trigger run); its schedule is.
    expect((await ref.get()).updateTime).toEqual(createdSnap.updateTime);
    const armedSnap = await scheduleRef.get();
    const edited: Record<string, unknown> = { ...created, title: 'Ship v1.0' };
    const reads = countReads(fs.db);
    try {
      // An event that changed nothing reminders depend on: nothing read.
      expect(
        (await armTaskReminders(deps, { taskId: 't1', before: created, after: edited })).outcome,
      ).toBe('ignored');
      expect(reads.log.documents).toEqual({});
      // The creation event again (at-least-once): read, found right, not written.
      const again = await armTaskReminders(deps, { taskId: 't1', before: null, after: created });
      expect(again.outcome).toBe('unchanged');
      expect(reads.log.documents).toEqual({ tasks: 1, taskSchedules: 1, users: 1 });
    } finally {
      reads.restore();
    }
    // Not written again: the schedule is the version the first arming left.
    expect((await scheduleRef.get()).updateTime).toEqual(armedSnap.updateTime);
  });

  it('a task deleted for good takes its schedule with it; the sweeps delete one left behind', async () => {
    await user('bob');
    await writeTask('gone', {}, true);
    const before = await task('gone');
    expect(await schedule('gone')).toHaveProperty('nextReminderAt');
    await fs.db.doc('tasks/gone').delete();
    const removed = await armTaskReminders(deps, { taskId: 'gone', before, after: null });
    expect(removed.outcome).toBe('missing');
    expect((await fs.db.doc('taskSchedules/gone').get()).exists).toBe(false);
    // Redelivered: nothing left to delete.
    expect((await armTaskReminders(deps, { taskId: 'gone', before, after: null })).outcome).toBe(
      'missing',
    );
    // A schedule whose task is gone (left by a late write): the sweep deletes it, sends nothing.
    await fs.db.doc('taskSchedules/orphan').set({
      nextReminderAt: Timestamp.fromDate(new Date('2026-11-23T09:00:00Z')),
      overdueCheckAt: Timestamp.fromDate(new Date('2026-11-23T09:00:00Z')),
    });
    clock.set('2026-11-23T10:00:00Z');
    expect(await runReminderSweep(deps)).toMatchObject({ acted: 0, disarmed: 1, failures: 0 });
    expect((await fs.db.doc('taskSchedules/orphan').get()).exists).toBe(false);
    expect(await runOverdueSweep(deps)).toMatchObject({ schedulesRead: 0, acted: 0 });
    expect(await inbox('bob')).toEqual([]);
  });

  it('arms from the task as it is now, not from a stale event (events arrive out of order)', async () => {
    await user('bob');
    await writeTask('t1', {}, true);
    const stale = await task('t1');
    await writeTask('t1', { dueDate: Timestamp.fromDate(new Date('2026-11-30T10:00:00Z')) });
    // The creation event processed last, with its old due date.
    await armTaskReminders(deps, { taskId: 't1', before: null, after: stale });
    expect((await schedule('t1')).nextReminderAt).toEqual(
      Timestamp.fromDate(new Date('2026-11-29T10:00:00Z')),
    );
  });

  it('a deleted document or a delete event: nothing armed, no schedule written', async () => {
    expect(
      (await armTaskReminders(deps, { taskId: 'gone', before: null, after: baseTask() })).outcome,
    ).toBe('missing');
    // A delete event looks whether the task is still gone (to delete its schedule with it).
    expect(
      (await armTaskReminders(deps, { taskId: 'gone', before: baseTask(), after: null })).outcome,
    ).toBe('missing');
    expect((await fs.db.doc('taskSchedules/gone').get()).exists).toBe(false);
    expect(
      (await armTaskReminders(deps, { taskId: 'gone', before: null, after: null })).outcome,
    ).toBe('ignored');
  });
});

describe('overdue notices', () => {
  it('one notice at the due time, then one follow-up a day, each once under overlapping sweeps', async () => {
    await user('bob', {}, 'UTC');
    await writeTask('t1', {}, true);
    clock.set(DUE);
    const reports: SweepReport[] = [];
    for (let i = 0; i <= 3 * 48; i++) {
      reports.push(...(await Promise.all([runOverdueSweep(deps), runOverdueSweep(deps)])));
      clock.advance(30 * MINUTE);
    }
    const notices = await inbox('bob', 'task_overdue');
    expect(
      notices.map((n) => [(n.createdAt as Timestamp).toDate().toISOString(), n.title, n.body]),
    ).toEqual([
      ['2026-11-24T10:00:00.000Z', 'Task overdue', '"Ship v1" was due Tue 24 Nov, 10:00'],
      ['2026-11-25T10:00:00.000Z', 'Task still overdue', '"Ship v1" has been overdue for 1 day'],
      ['2026-11-26T10:00:00.000Z', 'Task still overdue', '"Ship v1" has been overdue for 2 days'],
      ['2026-11-27T10:00:00.000Z', 'Task still overdue', '"Ship v1" has been overdue for 3 days'],
    ]);
    expect(pushes('bob', 'task_overdue')).toHaveLength(4);
    expect(emails('bob').map((m) => m.subject)).toEqual(Array(4).fill('Overdue: Ship v1'));
    // Read only when due: once per notice (twice: the overlapping run), not every 30 minutes.
    expect(reports.reduce((s, r) => s + r.tasksRead, 0)).toBe(8);
    expect((await schedule('t1')).overdueCheckAt).toEqual(
      Timestamp.fromDate(new Date('2026-11-28T10:00:00Z')),
    );
  });

  it('with overdueFollowUp off: the first notice only; completed: nothing more', async () => {
    await user('bob', { overdueFollowUp: false });
    await user('cat');
    await writeTask('quiet', {}, true);
    await writeTask('finished', { assigneeId: 'cat' }, true);
    clock.set(DUE);
    await runOverdueSweep(deps);
    await writeTask('finished', { status: 'done' });
    for (let day = 1; day <= 3; day++) {
      clock.set(new Date(new Date(DUE).getTime() + day * 24 * HOUR));
      await runOverdueSweep(deps);
    }
    expect(await inbox('bob', 'task_overdue')).toHaveLength(1);
    expect(await inbox('cat', 'task_overdue')).toHaveLength(1);
    expect((await schedule('quiet')).overdueCheckAt).toBeNull();
    expect((await schedule('finished')).overdueCheckAt).toBeNull();
  });

  it('a task completed or re-dated before the trigger ran gets no overdue notice', async () => {
    await user('bob');
    await writeTask('completed', {}, true);
    await writeTask('redated', {}, true);
    await writeWithoutTrigger('completed', { status: 'done' });
    await writeWithoutTrigger('redated', {
      dueDate: Timestamp.fromDate(new Date('2026-11-27T10:00:00Z')),
    });
    clock.set(DUE);
    expect(await runOverdueSweep(deps)).toMatchObject({
      tasksRead: 2,
      acted: 0,
      disarmed: 1,
      rearmed: 1,
    });
    expect(await inbox('bob', 'task_overdue')).toEqual([]);
    expect((await schedule('redated')).overdueCheckAt).toEqual(
      Timestamp.fromDate(new Date('2026-11-27T10:00:00Z')),
    );
  });
});

describe('read cost and observability', () => {
  it('reads only the due tasks: documents read per due task ≤ 1.1', async () => {
    await user('bob');
    // 60 tasks: 6 due for their 24 h reminder at 10:00, the rest later or without a due date.
    for (let i = 0; i < 60; i++) {
      const due =
        i % 10 === 0
          ? DUE
          : i % 3 === 0
            ? null
            : new Date(new Date(DUE).getTime() + (i + 1) * HOUR);
      await writeTask(
        `t${i}`,
        { dueDate: due === null ? null : Timestamp.fromDate(new Date(due)) },
        true,
      );
    }
    clock.set('2026-11-23T10:00:00Z');
    const reads = countReads(fs.db);
    let report: SweepReport;
    try {
      report = await runReminderSweep(deps, { limit: 4 });
    } finally {
      reads.restore();
    }
    expect(report).toMatchObject({
      schedulesRead: 6,
      tasksRead: 6,
      acted: 6,
      pages: 2,
      complete: true,
    });
    expect(reads.log.documents.tasks).toBe(6);
    // The due schedules (one range query per page), then their tasks: nothing that is not due.
    expect(reads.log.documents.taskSchedules).toBe(6);
    expect(report.tasksRead / report.acted).toBeLessThanOrEqual(1.1);
    // One profile per task notified, which the engine then uses instead of reading its own.
    expect(report.profilesRead).toBe(6);
    expect(reads.log.documents.users).toBe(6);
  });

  it('each run logs one summary line and records its health in jobHealth', async () => {
    await user('bob');
    await writeTask('t1', {}, true);
    clock.set('2026-11-23T10:00:00Z');
    const report = await runReminderJob(deps);
    const lines = runtime.logger.lines.filter((l) => l.message === 'Reminder sweep finished');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'INFO',
      job: 'sendDueReminders',
      documentsRead: report.documentsRead,
      acted: 1,
      failures: 0,
      durationMs: expect.any(Number),
    });
    await runOverdueJob(deps);
    const health = await fs.db.collection(JOB_HEALTH).get();
    expect(Object.fromEntries(health.docs.map((d) => [d.id, d.data()]))).toEqual({
      sendDueReminders: {
        lastRunAt: Timestamp.fromDate(clock.now()),
        lastSuccessAt: Timestamp.fromDate(clock.now()),
        lastStatus: 'ok',
        periodSeconds: 300,
      },
      checkOverdueTasks: {
        lastRunAt: Timestamp.fromDate(clock.now()),
        lastSuccessAt: Timestamp.fromDate(clock.now()),
        lastStatus: 'ok',
        periodSeconds: 1800,
      },
    });
  });
});

describe('failures', () => {
  it('a task that cannot be handled is logged and retried on the next run; the job records the failure', async () => {
    await user('bob');
    await writeTask('good', {}, true);
    // Malformed (no client can write it: the rules require a project member as assignee).
    const stuckAt = Timestamp.fromDate(new Date('2026-11-23T09:00:00Z'));
    await fs.db.doc('tasks/bad').set({ ...baseTask(), assigneeId: 'not/a-uid' });
    await fs.db.doc('taskSchedules/bad').set({ nextReminderAt: stuckAt });
    clock.set('2026-11-23T10:00:00Z');
    const report = await runReminderJob(deps);
    expect(report).toMatchObject({ tasksRead: 2, acted: 1, failures: 1, complete: true });
    expect(runtime.logger.lines).toContainEqual(
      expect.objectContaining({
        level: 'WARN',
        message: 'Sweep could not handle a task; the next run retries it',
        taskId: 'bad',
      }),
    );
    expect(runtime.logger.lines).toContainEqual(
      expect.objectContaining({ level: 'WARN', message: 'Reminder sweep finished', failures: 1 }),
    );
    // Its instant was not moved: the next run sees it again.
    expect((await schedule('bad')).nextReminderAt).toEqual(stuckAt);
    const health = (await fs.db.doc(`${JOB_HEALTH}/sendDueReminders`).get()).data();
    expect(health).toMatchObject({ lastStatus: 'failed', periodSeconds: 300 });
    expect(health).not.toHaveProperty('lastSuccessAt');
  });

  it('a task that keeps failing is recorded, and after three runs leaves the queue (quarantined)', async () => {
    await user('bob');
    const stuckAt = Timestamp.fromDate(new Date('2026-11-23T09:00:00Z'));
    await fs.db.doc('tasks/bad').set({ ...baseTask(), assigneeId: 'not/a-uid' });
    await fs.db.doc('taskSchedules/bad').set({ nextReminderAt: stuckAt });
    clock.set('2026-11-23T10:00:00Z');
    await runReminderJob(deps);
    await runReminderJob(deps);
    expect((await schedule('bad')).nextReminderAt).toEqual(stuckAt);
    await runReminderJob(deps);
    expect((await schedule('bad')).nextReminderAt).toBeNull();
    const errors = (await fs.db.collection('sweepErrors').get()).docs.map((d) => d.data());
    expect(errors).toEqual([
      expect.objectContaining({
        sweep: 'sendDueReminders',
        path: 'tasks/bad',
        attempts: 3,
        quarantined: true,
      }),
    ]);
  });
});

describe('the task API and the bookkeeping', () => {
  it('never shows the bookkeeping in task output, never accepts it, and keeps it across edits', async () => {
    await user('bob');
    await fs.db.doc('projects/p1').set({
      name: 'Launch',
      workspaceId: 'w1',
      ownerId: 'ann',
      members: ['ann', 'bob'],
    });
    await writeTask('t1', {}, true);
    const ann = { uid: 'ann', admin: false };
    const out = await getTask(fs.db, 't1', ann);
    expect(Object.keys(out).sort()).toEqual(Object.keys(taskSchema.shape).sort());
    expect(out).not.toHaveProperty('nextReminderAt');

    await updateTask(fs.db, clock, ann, 't1', { title: 'Ship v1.0' });
    expect(await task('t1')).not.toHaveProperty('nextReminderAt');
    expect(await schedule('t1')).toMatchObject({
      nextReminderAt: Timestamp.fromDate(new Date('2026-11-23T10:00:00Z')),
      reminders: { pending: [1440, 60] },
    });

    for (const field of ['nextReminderAt', 'reminders', 'overdueCheckAt', 'overdueNotice']) {
      expect(
        createTaskOp.input.safeParse({ projectId: 'p1', title: 'x', [field]: null }).success,
      ).toBe(false);
      expect(updateTaskOp.input.safeParse({ taskId: 't1', [field]: null }).success).toBe(false);
    }
  });
});
