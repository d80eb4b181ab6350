import functionsTest from 'firebase-functions-test';
import { Timestamp } from 'firebase-admin/firestore';
import { setRuntimeForTesting } from '../../src/composition-root';
import { FixedClock } from '../../src/core/clock';
import type { NotificationIntent } from '../../src/domain/notifications/channels';
import {
  deliverNotification,
  notifierDeps,
  releaseDueDeliveries,
  type ChannelState,
  type DeliveryDoc,
  type NotifierDeps,
} from '../../src/domain/notifications/delivery.service';
import { registerDevice, tokenKey } from '../../src/domain/users/devices.service';
import { onTaskWritten } from '../../src/functions/task.triggers';
import { createTestFirestore } from '../support/firestore';
import { profileDoc, type ProfileOverrides } from '../support/users';
import { countReads } from '../support/firestore-reads';
import { testRuntime } from '../support/runtime';
import { taskDoc } from '../support/tasks';
import { DELIVERIES } from '../../src/storage/collections';

/**
 * The notification engine end to end on Firestore: task trigger → inbox + push + email, exactly
 * once under redelivery, preferences, quiet hours, coalescing, retries, pruning, overlapping
 * releasers. FCM is the recording transport behind the real adapter; email a recording mailer.
 */
const fft = functionsTest({ projectId: 'demo-taskflow' });
const fs = createTestFirestore();
const clock = new FixedClock('2026-11-23T10:00:00Z');
let runtime = testRuntime(fs.db, { clock });
let deps: NotifierDeps;

function useRuntime(coalesceWindowSeconds = 120, maxDeliveryAttempts = 5): void {
  runtime = testRuntime(fs.db, {
    clock,
    config: { notifications: { coalesceWindowSeconds, maxDeliveryAttempts } as never },
  });
  deps = notifierDeps(runtime.deps, runtime.logger);
  setRuntimeForTesting(runtime);
}

beforeEach(() => {
  clock.set('2026-11-23T10:00:00Z');
  useRuntime();
});
afterEach(() => fs.clear());
afterAll(async () => {
  setRuntimeForTesting(undefined);
  fft.cleanup();
  await fs.dispose();
});

const MINUTE = 60_000;

async function user(uid: string, over: ProfileOverrides = {}): Promise<void> {
  await fs.db.doc(`users/${uid}`).set(profileDoc(uid, over));
}

async function device(uid: string, token: string): Promise<void> {
  await registerDevice(fs.db, clock, uid, { token, platform: 'android' });
}

const tok = (name: string) => `${name}-${'t'.repeat(40)}`;

const task = (over: Record<string, unknown>) =>
  taskDoc({ updatedAt: Timestamp.fromDate(clock.now()), ...over });

function event(id: string, before: object | null, after: object | null) {
  const path = 'tasks/t1';
  const snap = (d: object | null) =>
    d ? fft.firestore.makeDocumentSnapshot(d, path) : fft.firestore.makeDocumentSnapshot({}, '');
  return { id, params: { taskId: 't1' }, data: fft.makeChange(snap(before), snap(after)) } as never;
}

async function inbox(uid: string) {
  return (await fs.db.collection(`users/${uid}/notifications`).get()).docs.map((d) => d.data());
}

async function deliveries(filter: Partial<DeliveryDoc> = {}) {
  const snap = await fs.db.collection(DELIVERIES).get();
  return snap.docs
    .map((d) => ({ id: d.id, ...(d.data() as DeliveryDoc) }))
    .filter((d) => Object.entries(filter).every(([k, v]) => d[k as keyof DeliveryDoc] === v));
}

/** The state of one channel in every record that carries it (one record per notification). */
async function states(channel: 'push' | 'email') {
  return (await deliveries()).flatMap((d) => {
    const state: ChannelState | null = d[channel];
    return state === null ? [] : [{ id: d.id, ...state }];
  });
}

const pushesTo = (token: string) =>
  runtime.messaging.sent.filter((m) => 'token' in m && m.token === token);

function intent(over: Partial<NotificationIntent> = {}): NotificationIntent {
  return {
    key: 'intent-1',
    recipientId: 'bob',
    category: 'task_assigned',
    title: 'New task assigned',
    body: 'You were assigned "Ship v1"',
    taskId: 't1',
    projectId: 'p1',
    groupKey: 'task:t1',
    ...over,
  };
}

describe('task trigger → inbox, push, email', () => {
  it('assigning B as A: one inbox item, one push per device, one email; A gets nothing; replay and overlapping releasers change nothing', async () => {
    await Promise.all([user('ann'), user('bob')]);
    await device('bob', tok('bob-phone'));
    await device('bob', tok('bob-tablet'));
    await device('ann', tok('ann-phone'));
    const wrapped = fft.wrap(onTaskWritten);
    const e = event('evt-assign', task({}), task({ assigneeId: 'bob', updatedBy: 'ann' }));

    await wrapped(e);
    // The leading edge: push to both devices and the email went out in the trigger's own run.
    expect(pushesTo(tok('bob-phone'))).toHaveLength(1);
    expect(pushesTo(tok('bob-tablet'))).toHaveLength(1);
    expect(runtime.mail.sent.map((m) => m.to)).toEqual(['bob@taskflow.test']);
    await wrapped(e);
    await wrapped(e);
    expect(await inbox('bob')).toHaveLength(1);
    expect(await inbox('ann')).toHaveLength(0);

    clock.advance(2 * MINUTE);
    const [r1, r2] = await Promise.all([releaseDueDeliveries(deps), releaseDueDeliveries(deps)]);
    await wrapped(e); // a late redelivery after the send
    await releaseDueDeliveries(deps);

    expect(r1.sent + r2.sent).toBe(0); // nothing was held
    expect(pushesTo(tok('bob-phone'))).toHaveLength(1);
    expect(pushesTo(tok('bob-tablet'))).toHaveLength(1);
    expect(pushesTo(tok('ann-phone'))).toHaveLength(0);
    expect(runtime.mail.sent.map((m) => m.to)).toEqual(['bob@taskflow.test']);
    const [push] = pushesTo(tok('bob-phone'));
    expect(push).toMatchObject({
      notification: { title: 'New task assigned', body: 'You were assigned "Ship v1"' },
      data: expect.objectContaining({ type: 'task_assigned', taskId: 't1', projectId: 'p1' }),
    });
    const [mail] = runtime.mail.sent;
    expect(mail?.subject).toContain('Ship v1');
    expect(mail?.headers['List-Unsubscribe']).toMatch(
      /^<https:\/\/app\.taskflow\.test\/api\/unsubscribe\?token=.+>$/,
    );
    expect(mail?.headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    // One record for the notification, both channels in it.
    const records = await deliveries();
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      status: 'sent',
      channels: ['push', 'email'],
      push: expect.objectContaining({ status: 'sent', attempts: 1 }),
      email: expect.objectContaining({ status: 'sent', attempts: 1 }),
    });
    expect(records[0]?.push?.devices).toEqual({ tokens: 2, sent: 2, failed: 0, pruned: 0 });
  });

  it('ten edits within the window give one push and one email that sum them up', async () => {
    await Promise.all([user('ann'), user('bob')]);
    await device('bob', tok('bob-phone'));
    const wrapped = fft.wrap(onTaskWritten);
    // bob created the task; ann (assigned) moves it back and forth ten times in 90 s.
    let before = task({ createdBy: 'bob', assigneeId: 'ann', status: 'todo' });
    for (let i = 0; i < 10; i++) {
      clock.advance(9_000);
      const status = i % 2 === 0 ? 'in_progress' : 'todo';
      const after = task({ createdBy: 'bob', assigneeId: 'ann', status, updatedBy: 'ann' });
      await wrapped(event(`evt-${i}`, before, after));
      before = after;
    }
    expect(await inbox('bob')).toHaveLength(10);
    // The first change went out at once; the nine after it wait for the window's end.
    expect(pushesTo(tok('bob-phone')).map((m) => m.notification?.title)).toEqual([
      'Task status changed',
    ]);
    expect(runtime.mail.sent).toHaveLength(1);
    clock.set('2026-11-23T10:03:00Z');
    await releaseDueDeliveries(deps);
    await releaseDueDeliveries(deps);

    const pushes = pushesTo(tok('bob-phone'));
    expect(pushes).toHaveLength(2);
    expect(pushes[1]?.notification?.title).toBe('9 updates to "Ship v1"');
    expect(pushes[1]?.data?.coalesced).toBe('9');
    expect(runtime.mail.sent).toHaveLength(2);
    expect(runtime.mail.sent[1]?.subject).toContain('9');
    const records = await states('push');
    expect(records).toHaveLength(10);
    expect(records.every((r) => r.status === 'sent')).toBe(true);
    const carriers = records.filter((r) => r.coalescedInto === null);
    expect(carriers.map((r) => r.coalescedCount).sort()).toEqual([1, 9]);
  });

  it('an edit after the burst was sent starts a new notification', async () => {
    await user('bob');
    await device('bob', tok('bob-phone'));
    await deliverNotification(deps, intent({ key: 'k1' }));
    clock.advance(2 * MINUTE);
    await releaseDueDeliveries(deps);
    await deliverNotification(deps, intent({ key: 'k2', body: 'Second' }));
    clock.advance(2 * MINUTE);
    await releaseDueDeliveries(deps);
    expect(pushesTo(tok('bob-phone')).map((m) => m.notification?.body)).toEqual([
      'You were assigned "Ship v1"',
      'Second',
    ]);
  });
});

describe('leading edge and cost', () => {
  it('the first push and email about a task go out in the trigger run, not at the next tick', async () => {
    await Promise.all([user('ann'), user('bob')]);
    await device('bob', tok('bob-phone'));
    const wrapped = fft.wrap(onTaskWritten);
    // An existing task, last edited an hour ago, assigned to bob now.
    const before = taskDoc({ updatedAt: Timestamp.fromMillis(clock.now().getTime() - 3_600_000) });
    await wrapped(event('evt-lead', before, task({ assigneeId: 'bob', updatedBy: 'ann' })));
    expect(pushesTo(tok('bob-phone'))).toHaveLength(1);
    expect(runtime.mail.sent.map((m) => m.to)).toEqual(['bob@taskflow.test']);
    // A second change 20 s later waits for the end of the window and goes out then.
    clock.advance(20_000);
    const later = task({ assigneeId: 'bob', updatedBy: 'ann', status: 'in_progress' });
    await wrapped(event('evt-follow', task({ assigneeId: 'bob' }), later));
    expect(pushesTo(tok('bob-phone'))).toHaveLength(1);
    clock.advance(100_000); // 120 s after the first push
    await releaseDueDeliveries(deps);
    expect(pushesTo(tok('bob-phone')).map((m) => m.notification?.title)).toEqual([
      'New task assigned',
      'Task status changed',
    ]);
    expect(runtime.mail.sent).toHaveLength(2);
  });

  it('a recipient with d devices costs 1 + d document reads and one record for both channels', async () => {
    useRuntime(0);
    await user('bob');
    await device('bob', tok('bob-phone'));
    await device('bob', tok('bob-tablet'));
    const reads = countReads(fs.db);
    try {
      const result = await deliverNotification(deps, intent({ category: 'broadcast' }));
      expect(result).toMatchObject({ inbox: 'created', push: 'sent', email: 'sent' });
      // profile + 2 devices; the suppression lookup (absent) is the one extra, before the email.
      expect(reads.log.documents).toEqual({ users: 1, devices: 2, emailSuppressions: 1 });
    } finally {
      reads.restore();
    }
    expect((await fs.db.collection(DELIVERIES).get()).size).toBe(1);
    // Three times delivered: nothing more is written or sent.
    await deliverNotification(deps, intent({ category: 'broadcast' }));
    await deliverNotification(deps, intent({ category: 'broadcast' }));
    expect(runtime.messaging.sent).toHaveLength(2);
    expect(runtime.mail.sent).toHaveLength(1);
    expect(await inbox('bob')).toHaveLength(1);
  });
});

describe('preferences decide', () => {
  it('push off: inbox and email only, no push record', async () => {
    await user('bob', { prefs: { pushNotifications: false } });
    await device('bob', tok('bob-phone'));
    const result = await deliverNotification(deps, intent());
    expect(result).toMatchObject({
      inbox: 'created',
      push: 'skipped:push_disabled',
      email: 'sent',
    });
    expect(await states('push')).toHaveLength(0);
  });

  it('a category switched off: inbox only', async () => {
    await user('bob', { prefs: { taskAssignment: false } });
    const result = await deliverNotification(deps, intent());
    expect(result).toMatchObject({
      inbox: 'created',
      push: 'skipped:taskAssignment_disabled',
      email: 'skipped:taskAssignment_disabled',
    });
  });

  it('preferences changed while a push was held are read again at send time', async () => {
    await user('bob');
    await device('bob', tok('bob-phone'));
    await deliverNotification(deps, intent({ key: 'lead' }));
    clock.advance(10_000);
    // A second change within the window is held for the follow-up.
    expect((await deliverNotification(deps, intent({ key: 'follower' }))).push).toBe('held');
    await fs.db
      .doc('users/bob')
      .set({ notificationPreferences: { pushNotifications: false } }, { merge: true });
    clock.advance(2 * MINUTE);
    await releaseDueDeliveries(deps);
    expect(runtime.messaging.sent).toHaveLength(1); // the leading push only
    const follower = (await deliveries({ intentKey: 'follower' }))[0];
    expect(follower?.push).toMatchObject({
      status: 'skipped',
      skipReason: 'push_disabled',
    });
  });

  it('a user without a profile (deleted account) gets nothing at all', async () => {
    const result = await deliverNotification(deps, intent({ recipientId: 'ghost' }));
    expect(result.inbox).toBe('skipped:no_user');
    expect(await inbox('ghost')).toHaveLength(0);
    expect(await deliveries()).toHaveLength(0);
  });

  it('a suppressed address (bounce, spam report) is not emailed', async () => {
    useRuntime(0);
    await user('bob');
    const { createHash } = await import('node:crypto');
    const id = createHash('sha256').update('bob@taskflow.test').digest('hex');
    await fs.db.doc(`emailSuppressions/${id}`).set({
      email: 'bob@taskflow.test',
      reason: 'bounce',
    });
    const result = await deliverNotification(deps, intent());
    expect(result.email).toMatch(/^skipped:suppressed/);
    expect(runtime.mail.sent).toHaveLength(0);
  });
});

describe('quiet hours', () => {
  it('23:00 in Asia/Kolkata: the push is held (not dropped) and released at 07:00 local', async () => {
    useRuntime(0); // no coalescing: only quiet hours hold
    await user('bob', {
      timezone: 'Asia/Kolkata',
      prefs: { quietHours: { start: '22:00', end: '07:00' } },
    });
    await device('bob', tok('bob-phone'));
    clock.set('2026-11-23T17:30:00Z'); // 23:00 IST
    const result = await deliverNotification(deps, intent());
    expect(result).toMatchObject({ push: 'held', email: 'sent' });
    expect((await states('push'))[0]).toMatchObject({
      status: 'pending',
      heldReason: 'quiet_hours',
      dueAt: Timestamp.fromDate(new Date('2026-11-24T01:30:00Z')),
    });

    clock.set('2026-11-24T01:29:00Z'); // 06:59 IST
    await releaseDueDeliveries(deps);
    expect(runtime.messaging.sent).toHaveLength(0);
    clock.set('2026-11-24T01:30:00Z'); // 07:00 IST
    await releaseDueDeliveries(deps);
    expect(pushesTo(tok('bob-phone'))).toHaveLength(1);
  });

  it('quiet hours set while a push was held hold it again at send time', async () => {
    await user('bob', { timezone: 'Europe/Berlin' });
    await device('bob', tok('bob-phone'));
    clock.set('2026-11-23T20:59:50Z'); // 21:59:50 Berlin
    await deliverNotification(deps, intent({ key: 'lead' }));
    clock.set('2026-11-23T21:00:00Z'); // 22:00 Berlin
    await deliverNotification(deps, intent({ key: 'follower' }));
    await fs.db
      .doc('users/bob')
      .set(
        { notificationPreferences: { quietHours: { start: '22:00', end: '07:00' } } },
        { merge: true },
      );
    clock.advance(2 * MINUTE);
    await releaseDueDeliveries(deps);
    expect(runtime.messaging.sent).toHaveLength(1); // the leading push only
    const [held] = await deliveries({ intentKey: 'follower' });
    expect(held).toMatchObject({ status: 'pending', version: 1 });
    expect(held?.push).toMatchObject({ status: 'pending', heldReason: 'quiet_hours' });
    expect(held?.push?.dueAt.toDate().toISOString()).toBe('2026-11-24T06:00:00.000Z');
  });
});

describe('FCM outcomes', () => {
  it('a token FCM reports unregistered removes that device; the others still get the push', async () => {
    useRuntime(0);
    await user('bob');
    await device('bob', tok('dead'));
    await device('bob', tok('alive'));
    runtime.messaging.failToken(tok('dead'), 'messaging/registration-token-not-registered');
    const result = await deliverNotification(deps, intent());
    expect(result.push).toBe('sent');
    const devices = await fs.db.collection('users/bob/devices').get();
    expect(devices.docs.map((d) => d.get('token') as string)).toEqual([tok('alive')]);
    expect((await fs.db.doc(`deviceTokens/${tokenKey(tok('dead'))}`).get()).exists).toBe(false);
    expect((await states('push'))[0]?.devices).toEqual({
      tokens: 2,
      sent: 1,
      failed: 1,
      pruned: 1,
    });
  });

  it('transient failures are retried with backoff, then sent; the record tells the story', async () => {
    useRuntime(0);
    await user('bob');
    await device('bob', tok('bob-phone'));
    runtime.messaging.failNextCalls(2, 'messaging/server-unavailable');
    expect((await deliverNotification(deps, intent())).push).toBe('retrying');
    let [rec] = await states('push');
    expect(rec).toMatchObject({
      status: 'pending',
      attempts: 1,
      heldReason: 'retry',
      lastError: expect.objectContaining({ kind: 'transient' }),
    });
    const firstRetry = rec!.dueAt.toMillis() - clock.now().getTime();
    expect(firstRetry).toBeGreaterThanOrEqual(24_000);
    expect(firstRetry).toBeLessThanOrEqual(36_000);

    await releaseDueDeliveries(deps); // not due yet
    expect((await states('push'))[0]?.attempts).toBe(1);
    clock.set(new Date(rec!.dueAt.toMillis()));
    await releaseDueDeliveries(deps); // second failure
    [rec] = await states('push');
    expect(rec).toMatchObject({ status: 'pending', attempts: 2 });
    clock.set(new Date(rec!.dueAt.toMillis()));
    await releaseDueDeliveries(deps);
    [rec] = await states('push');
    expect(rec).toMatchObject({ status: 'sent', attempts: 3, lastError: null });
    expect(pushesTo(tok('bob-phone'))).toHaveLength(1);
    expect(runtime.messaging.counts.sendEachCalls).toBe(3); // two failed calls + the success
  });

  it('after the attempt limit the record is failed and logged, never silently dropped', async () => {
    useRuntime(0, 2);
    await user('bob');
    await device('bob', tok('bob-phone'));
    runtime.messaging.failNextCalls(5, 'messaging/internal-error');
    await deliverNotification(deps, intent());
    const [rec] = await states('push');
    clock.set(new Date(rec!.dueAt.toMillis()));
    await releaseDueDeliveries(deps);
    expect((await states('push'))[0]).toMatchObject({
      status: 'failed',
      attempts: 2,
      lastError: expect.objectContaining({ code: 'messaging/internal-error' }),
    });
    expect(runtime.logger.lines).toContainEqual(
      expect.objectContaining({ level: 'ERROR', message: 'Delivery failed permanently' }),
    );
  });

  it('a token that moved to another account is not used for this user (shared phone)', async () => {
    useRuntime(0);
    await Promise.all([user('bob'), user('carol')]);
    await device('carol', tok('shared'));
    // The app wrote a device for bob directly (rules allow it) with the same token: stale.
    await fs.db.doc('users/bob/devices/old-phone').set({ token: tok('shared'), platform: 'ios' });
    const result = await deliverNotification(deps, intent());
    expect(result.push).toBe('skipped:no_devices');
    expect(runtime.messaging.sent).toHaveLength(0);
    expect((await fs.db.doc('users/bob/devices/old-phone').get()).exists).toBe(false);
    expect((await fs.db.collection('users/carol/devices').get()).size).toBe(1);
  });
});

describe('crash safety', () => {
  it('an inline send that died is retried after its lease', async () => {
    useRuntime(0);
    await user('bob');
    await device('bob', tok('bob-phone'));
    // Simulate an instance that created the record (claiming it) and died before sending.
    const { deliveryIdFor } = await import('../../src/domain/notifications/delivery.service');
    const id = deliveryIdFor('crashed');
    const now = Timestamp.fromDate(clock.now());
    const lease = Timestamp.fromMillis(clock.now().getTime() + 5 * MINUTE);
    const sending: ChannelState = {
      status: 'sending',
      dueAt: now,
      heldReason: null,
      attempts: 0,
      leaseUntil: lease,
      sentAt: null,
      lastError: null,
      providerMessageId: null,
      coalescedInto: null,
      coalescedCount: 1,
      skipReason: null,
      devices: null,
    };
    const record: DeliveryDoc = {
      recipientId: 'bob',
      category: 'task_assigned',
      groupKey: 'task:t1',
      intentKey: 'crashed',
      channels: ['push'],
      push: sending,
      email: null,
      status: 'sending',
      dueAt: now,
      leaseUntil: lease,
      version: 0,
      content: {
        title: 'T',
        body: 'B',
        subject: null,
        taskId: 't1',
        projectId: 'p1',
        data: {},
        email: null,
      },
      createdAt: now,
      updatedAt: now,
      finishedAt: null,
      expireAt: null,
    };
    await fs.db.doc(`${DELIVERIES}/${id}`).set(record);
    await releaseDueDeliveries(deps); // lease still running: nothing happens
    expect(runtime.messaging.sent).toHaveLength(0);
    clock.advance(5 * MINUTE);
    const report = await releaseDueDeliveries(deps); // recovered → pending, due now
    expect(report.recovered).toBe(1);
    expect((await fs.db.doc(`${DELIVERIES}/${id}`).get()).data()).toMatchObject({
      status: 'pending',
      push: expect.objectContaining({
        status: 'pending',
        attempts: 1,
        lastError: expect.objectContaining({ code: 'lease_expired' }),
      }),
    });
    clock.advance(MINUTE); // the retry backoff
    await releaseDueDeliveries(deps);
    expect(pushesTo(tok('bob-phone'))).toHaveLength(1);
    expect((await fs.db.doc(`${DELIVERIES}/${id}`).get()).get('status')).toBe('sent');
  });
});
