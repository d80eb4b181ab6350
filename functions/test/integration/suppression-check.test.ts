import functionsTest from 'firebase-functions-test';
import { Timestamp } from 'firebase-admin/firestore';
import { setRuntimeForTesting } from '../../src/composition-root';
import { FixedClock } from '../../src/core/clock';
import type { NotificationIntent } from '../../src/domain/notifications/channels';
import {
  deliverNotification,
  notifierDeps,
  type NotifierDeps,
} from '../../src/domain/notifications/delivery.service';
import {
  recordSendGridEvents,
  removeSuppression,
} from '../../src/domain/notifications/suppressions.service';
import { registerDevice } from '../../src/domain/users/devices.service';
import { onUserCreated } from '../../src/functions/auth.triggers';
import { createTestFirestore } from '../support/firestore';
import { countReads, type ReadLog } from '../support/firestore-reads';
import { testRuntime } from '../support/runtime';

/**
 * The suppression state a profile carries: the common email costs no suppression-list read, and
 * the state stays true as the webhook suppresses and an operator lifts an address, and as the
 * profile's address changes.
 */
const fft = functionsTest({ projectId: 'demo-taskflow' });
const fs = createTestFirestore();
const clock = new FixedClock('2026-11-23T10:00:00Z');
let runtime = testRuntime(fs.db, { clock });
let deps: NotifierDeps;

beforeEach(() => {
  clock.set('2026-11-23T10:00:00Z');
  runtime = testRuntime(fs.db, {
    clock,
    config: { notifications: { coalesceWindowSeconds: 0, maxDeliveryAttempts: 5 } as never },
  });
  deps = notifierDeps(runtime.deps, runtime.logger);
  setRuntimeForTesting(runtime);
});
afterEach(() => fs.clear());
afterAll(async () => {
  setRuntimeForTesting(undefined);
  fft.cleanup();
  await fs.dispose();
});

/** A new account, through the deployed sign-up trigger. */
async function signUp(uid: string, email = `${uid}@taskflow.test`): Promise<void> {
  const record = fft.auth.makeUserRecord({ uid, email, emailVerified: true, displayName: uid });
  await fft.wrap(onUserCreated)(record, { eventId: `signup-${uid}` });
}

/** A profile written before profiles carried their suppression state. */
async function oldProfile(uid: string): Promise<void> {
  await fs.db.doc(`users/${uid}`).set({ name: uid, email: `${uid}@taskflow.test` });
}

let intents = 0;
function intent(over: Partial<NotificationIntent> = {}): NotificationIntent {
  intents += 1;
  return {
    key: `intent-${String(intents)}`,
    recipientId: 'bob',
    category: 'broadcast',
    title: 'Maintenance',
    body: 'Read-only on Sunday',
    groupKey: `announcement:${String(intents)}`,
    ...over,
  };
}

/** Delivers one intent and answers its email outcome and what it read. */
async function deliverCounting(
  over: Partial<NotificationIntent> = {},
): Promise<{ email: string; reads: ReadLog['documents'] }> {
  const reads = countReads(fs.db);
  try {
    const result = await deliverNotification(deps, intent(over));
    return { email: result.email, reads: { ...reads.log.documents } };
  } finally {
    reads.restore();
  }
}

const at = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/** A hard bounce of `email`, as the SendGrid Event Webhook reports it. */
function bounce(email: string, id = `bounce-${email}`): Record<string, unknown> {
  return {
    email,
    event: 'bounce',
    type: 'bounce',
    reason: '550 5.1.1 The email account does not exist',
    timestamp: at('2026-11-23T09:55:00Z'),
    sg_event_id: id,
  };
}

const webhook = (events: unknown[]) => recordSendGridEvents(fs.db, clock, runtime.logger, events);

const checkOf = async (uid: string): Promise<unknown> =>
  (await fs.db.doc(`users/${uid}`).get()).get('suppressionCheck');

describe('the profile knows whether its address is suppressed', () => {
  it('a signed-up recipient with d devices costs 1 + d reads: no suppression lookup', async () => {
    await signUp('bob');
    await registerDevice(fs.db, clock, 'bob', {
      token: `bob-phone-${'t'.repeat(40)}`,
      platform: 'ios',
    });
    await registerDevice(fs.db, clock, 'bob', {
      token: `bob-tab-${'t'.repeat(40)}`,
      platform: 'web',
    });
    const first = await deliverCounting();
    expect(first).toEqual({ email: 'sent', reads: { users: 1, devices: 2 } });
    expect(runtime.mail.sent.map((m) => m.to)).toEqual(['bob@taskflow.test']);
  });

  it('a suppressed user gets no email, and no suppression entry is read to know it', async () => {
    await signUp('bob');
    await webhook([bounce('Bob@TaskFlow.test')]);
    expect(await checkOf('bob')).toEqual({
      email: 'bob@taskflow.test',
      suppressed: {
        reason: 'bounced',
        at: Timestamp.fromMillis(at('2026-11-23T09:55:00Z') * 1000),
      },
    });
    const result = await deliverCounting();
    expect(result).toEqual({
      email: 'skipped:suppressed_bounced',
      reads: { users: 1, devices: 0 },
    });
    expect(runtime.mail.sent).toHaveLength(0);
  });

  it('lifting the suppression clears the profile: the next email goes out, still without a lookup', async () => {
    await signUp('bob');
    await webhook([bounce('bob@taskflow.test')]);
    expect(await removeSuppression(fs.db, 'BOB@taskflow.test')).toEqual({ removed: true });
    expect(await checkOf('bob')).toEqual({ email: 'bob@taskflow.test', suppressed: null });
    expect(await deliverCounting()).toEqual({ email: 'sent', reads: { users: 1, devices: 0 } });
    expect(runtime.mail.sent).toHaveLength(1);
  });

  it('an address changed since the check is looked up once, then known', async () => {
    await signUp('bob');
    await webhook([bounce('bob.new@taskflow.test')]);
    await fs.db.doc('users/bob').update({ email: 'bob.new@taskflow.test' });
    // The profile's state is about the old address: the new one is looked up (and suppressed).
    expect(await deliverCounting()).toEqual({
      email: 'skipped:suppressed_bounced',
      reads: { users: 1, devices: 0, emailSuppressions: 1 },
    });
    expect(await checkOf('bob')).toMatchObject({
      email: 'bob.new@taskflow.test',
      suppressed: { reason: 'bounced' },
    });
    expect(await deliverCounting()).toEqual({
      email: 'skipped:suppressed_bounced',
      reads: { users: 1, devices: 0 },
    });
    // Lifted: the webhook's removal rewrites the new state; the next email goes out.
    await removeSuppression(fs.db, 'bob.new@taskflow.test');
    expect(await deliverCounting()).toEqual({ email: 'sent', reads: { users: 1, devices: 0 } });
    expect(runtime.mail.sent.map((m) => m.to)).toEqual(['bob.new@taskflow.test']);
  });

  it('a profile from before the field: one lookup records the answer, the next email is free', async () => {
    await oldProfile('bob');
    expect(await deliverCounting()).toEqual({
      email: 'sent',
      reads: { users: 1, devices: 0, emailSuppressions: 1 },
    });
    expect(await checkOf('bob')).toEqual({ email: 'bob@taskflow.test', suppressed: null });
    expect(await deliverCounting()).toEqual({ email: 'sent', reads: { users: 1, devices: 0 } });
    expect(runtime.mail.sent).toHaveLength(2);
  });

  it('a suppression the webhook recorded before the lookup is what the lookup records', async () => {
    // The profile trusts no address, so the webhook has no profile to rewrite; the lookup then
    // reads the entry in the same transaction that writes the profile, and never writes "not
    // suppressed" over it.
    await oldProfile('bob');
    await webhook([bounce('bob@taskflow.test')]);
    expect(await checkOf('bob')).toBeUndefined();
    expect((await deliverCounting()).email).toBe('skipped:suppressed_bounced');
    expect(await checkOf('bob')).toMatchObject({ suppressed: { reason: 'bounced' } });
    expect(await deliverCounting()).toEqual({
      email: 'skipped:suppressed_bounced',
      reads: { users: 1, devices: 0 },
    });
    expect(runtime.mail.sent).toHaveLength(0);
  });

  it('a suppression recorded after the profile was checked reaches the next email', async () => {
    await signUp('bob');
    expect((await deliverCounting()).email).toBe('sent');
    await webhook([bounce('bob@taskflow.test')]);
    expect(await deliverCounting()).toEqual({
      email: 'skipped:suppressed_bounced',
      reads: { users: 1, devices: 0 },
    });
    expect(runtime.mail.sent).toHaveLength(1);
  });

  it('the same notification delivered three times to a signed-up user: one email, one record', async () => {
    await signUp('bob');
    const same = intent();
    for (let i = 0; i < 3; i++) await deliverNotification(deps, same);
    expect(runtime.mail.sent).toHaveLength(1);
    expect((await fs.db.collection('deliveries').get()).size).toBe(1);
    expect((await fs.db.collection('users/bob/notifications').get()).size).toBe(1);
  });
});
