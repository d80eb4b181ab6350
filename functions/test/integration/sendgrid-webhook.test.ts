import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import express, { type Express } from 'express';
import request from 'supertest';
import { Timestamp } from 'firebase-admin/firestore';
import { FixedClock } from '../../src/core/clock';
import { suppressionKey } from '../../src/domain/notifications/suppression-keys';
import {
  isSuppressed,
  removeSuppression,
} from '../../src/domain/notifications/suppressions.service';
import { DEFAULT_PREFERENCES } from '../../src/domain/users/preferences.schema';
import { createApp } from '../../src/http/app';
import { operations } from '../../src/operations/registry';
import { createTestFirestore } from '../support/firestore';
import { TEST_CONFIG, testRuntime } from '../support/runtime';
import { EMAIL_SUPPRESSIONS } from '../../src/storage/collections';

const fs = createTestFirestore();
const clock = new FixedClock('2026-11-23T10:00:00Z');
const PATH = '/api/webhooks/sendgrid/events';

/** A P-256 key pair; the public half as SendGrid shows it (base64 DER SubjectPublicKeyInfo). */
function keyPair(): { privateKey: KeyObject; publicKeyBase64: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    privateKey,
    publicKeyBase64: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
  };
}

const sendgrid = keyPair();
const stranger = keyPair();

function appWith(publicKey: string): { app: Express; runtime: ReturnType<typeof testRuntime> } {
  const runtime = testRuntime(fs.db, {
    clock,
    config: {
      notifications: { ...TEST_CONFIG.notifications, sendgridWebhookPublicKey: publicKey },
    },
  });
  return { app: createApp(runtime, operations), runtime };
}

const { app } = appWith(sendgrid.publicKeyBase64);

const nowSeconds = () => String(Math.floor(clock.now().getTime() / 1000));

/**
 * What SendGrid does: ECDSA (P-256, SHA-256) over `timestamp + body`, the DER signature in base64
 * (see @sendgrid/eventwebhook's `verifySignature`: `Ecdsa.verify(timestamp + payload, …)`).
 */
function signed(
  body: string,
  { key = sendgrid.privateKey, timestamp = nowSeconds() } = {},
): Record<string, string> {
  const signature = sign('sha256', Buffer.from(timestamp + body), key).toString('base64');
  return {
    'Content-Type': 'application/json',
    'X-Twilio-Email-Event-Webhook-Signature': signature,
    'X-Twilio-Email-Event-Webhook-Timestamp': timestamp,
  };
}

function post(body: string, headers: Record<string, string> = signed(body), to: Express = app) {
  return request(to).post(PATH).set(headers).send(body);
}

const at = (iso: string) => Math.floor(Date.parse(iso) / 1000);

function event(fields: Record<string, unknown>): Record<string, unknown> {
  return {
    email: 'someone@example.test',
    timestamp: at('2026-11-23T09:55:00Z'),
    'smtp-id': '<14c5d75ce93.dfd.64b469@ismtpd-555>',
    sg_message_id: '14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0',
    category: ['task_assigned'],
    ...fields,
  };
}

const suppression = async (email: string) =>
  (await fs.db.collection(EMAIL_SUPPRESSIONS).doc(suppressionKey(email)).get()).data();
const allSuppressions = async () =>
  (await fs.db.collection(EMAIL_SUPPRESSIONS).get()).docs.map((d) => d.data());

async function seedUser(uid: string): Promise<void> {
  await fs.db
    .collection('users')
    .doc(uid)
    .set({ name: uid, notificationPreferences: { ...DEFAULT_PREFERENCES } });
}
const prefsOf = async (uid: string) =>
  (await fs.db.collection('users').doc(uid).get()).get('notificationPreferences');

beforeEach(() => {
  clock.set('2026-11-23T10:00:00Z');
});
afterEach(() => fs.clear());
afterAll(() => fs.dispose());

describe('POST /api/webhooks/sendgrid/events: suppressions', () => {
  const batch = [
    event({ event: 'processed', sg_event_id: 'e-processed' }),
    event({
      event: 'bounce',
      email: 'Gone@Example.TEST',
      type: 'bounce',
      reason: '550 5.1.1 The email account does not exist',
      sg_event_id: 'e-bounce',
    }),
    event({
      event: 'bounce',
      email: 'busy@example.test',
      type: 'blocked',
      reason: '421 try later',
      sg_event_id: 'e-blocked',
    }),
    event({
      event: 'dropped',
      email: 'old@example.test',
      reason: 'Bounced Address',
      sg_event_id: 'e-drop-bounced',
    }),
    event({ event: 'dropped', email: 'bad@', reason: 'Invalid', sg_event_id: 'e-drop-invalid' }),
    event({
      event: 'dropped',
      email: 'content@example.test',
      reason: 'Spam Content (if spam checker app is enabled)',
      sg_event_id: 'e-drop-content',
    }),
    event({
      event: 'spamreport',
      email: 'angry@example.test',
      userId: 'u-angry',
      sg_event_id: 'e-spam',
    }),
    event({
      event: 'unsubscribe',
      email: 'leaving@example.test',
      userId: 'u-leaving',
      sg_event_id: 'e-unsub',
    }),
    event({
      event: 'group_unsubscribe',
      email: 'group@example.test',
      asm_group_id: 42,
      sg_event_id: 'e-group',
    }),
  ];
  const body = JSON.stringify(batch);

  it('a valid batch records bounces, drops, spam reports and unsubscribes', async () => {
    await Promise.all([seedUser('u-angry'), seedUser('u-leaving')]);
    const res = await post(body);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      received: 9,
      invalid: 0,
      ignored: 0,
      suppressionEvents: 6,
      duplicateEvents: 0,
      suppressionsCreated: 6,
      usersUnsubscribed: 2,
    });

    expect(await suppression('gone@example.test')).toEqual({
      email: 'gone@example.test',
      reason: 'bounced',
      event: 'bounce',
      firstAt: Timestamp.fromMillis(at('2026-11-23T09:55:00Z') * 1000),
      lastAt: Timestamp.fromMillis(at('2026-11-23T09:55:00Z') * 1000),
      sgEventIds: ['e-bounce'],
      createdAt: Timestamp.fromDate(clock.now()),
      updatedAt: Timestamp.fromDate(clock.now()),
    });
    const reasons = Object.fromEntries((await allSuppressions()).map((s) => [s.email, s.reason]));
    expect(reasons).toEqual({
      'gone@example.test': 'bounced',
      'old@example.test': 'bounced',
      'bad@': 'invalid',
      'angry@example.test': 'spam_report',
      'leaving@example.test': 'unsubscribed',
      'group@example.test': 'unsubscribed',
    });

    // The engine's question, in any spelling of the address.
    expect(await isSuppressed(fs.db, ' GONE@example.test ')).toEqual({
      suppressed: true,
      reason: 'bounced',
    });
    expect(await isSuppressed(fs.db, 'busy@example.test')).toEqual({ suppressed: false });
    expect(await isSuppressed(fs.db, 'content@example.test')).toEqual({ suppressed: false });

    // A spam report or unsubscribe with a userId also turns that user's email off, nothing else.
    for (const uid of ['u-angry', 'u-leaving']) {
      expect(await prefsOf(uid)).toEqual({ ...DEFAULT_PREFERENCES, emailNotifications: false });
      const audit = (await fs.db.collection('users').doc(uid).get()).get('unsubscribes');
      expect(audit).toEqual({ email: { at: Timestamp.fromDate(clock.now()), source: 'webhook' } });
    }
  });

  it('the same batch delivered again changes nothing: one entry per address, ids not repeated', async () => {
    await Promise.all([seedUser('u-angry'), seedUser('u-leaving')]);
    await post(body).expect(200);
    const first = await allSuppressions();
    // The user turns email back on; SendGrid redelivers the batch (it retries for 24 hours).
    await fs.db
      .collection('users')
      .doc('u-angry')
      .update({ 'notificationPreferences.emailNotifications': true });
    clock.advance(5 * 60_000);
    const again = await post(body);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({
      suppressionEvents: 0,
      duplicateEvents: 6,
      suppressionsCreated: 0,
      usersUnsubscribed: 0,
    });
    expect(await allSuppressions()).toEqual(first);
    expect((await prefsOf('u-angry')).emailNotifications).toBe(true);
  });

  it('a new event for a suppressed address updates the entry (latest reason, first time kept)', async () => {
    await post(body).expect(200);
    const later = JSON.stringify([
      event({
        event: 'spamreport',
        email: 'gone@example.test',
        timestamp: at('2026-11-23T09:58:00Z'),
        sg_event_id: 'e-late-spam',
      }),
      // An older event arriving late moves firstAt back but not the latest reason.
      event({
        event: 'dropped',
        email: 'gone@example.test',
        reason: 'Bounced Address',
        timestamp: at('2026-11-22T08:00:00Z'),
        sg_event_id: 'e-early-drop',
      }),
    ]);
    await post(later).expect(200);
    expect(await suppression('gone@example.test')).toMatchObject({
      reason: 'spam_report',
      event: 'spamreport',
      firstAt: Timestamp.fromMillis(at('2026-11-22T08:00:00Z') * 1000),
      lastAt: Timestamp.fromMillis(at('2026-11-23T09:58:00Z') * 1000),
      sgEventIds: ['e-bounce', 'e-late-spam', 'e-early-drop'],
    });
  });

  it('removeSuppression lifts an entry', async () => {
    await post(body).expect(200);
    expect(await removeSuppression(fs.db, 'Gone@example.test')).toEqual({ removed: true });
    expect(await isSuppressed(fs.db, 'gone@example.test')).toEqual({ suppressed: false });
    expect(await removeSuppression(fs.db, 'gone@example.test')).toEqual({ removed: false });
  });

  it('rewrites the profiles whose suppression state is about the address, and no other', async () => {
    const checked = (email: string) => ({ email, suppressed: null });
    await Promise.all([
      fs.db
        .doc('users/u-gone')
        .set({ email: 'Gone@example.test', suppressionCheck: checked('gone@example.test') }),
      fs.db
        .doc('users/u-fine')
        .set({ email: 'fine@example.test', suppressionCheck: checked('fine@example.test') }),
    ]);
    const res = await post(body).expect(200);
    expect(res.body).toMatchObject({ profilesUpdated: 1 });
    expect((await fs.db.doc('users/u-gone').get()).get('suppressionCheck')).toEqual({
      email: 'gone@example.test',
      suppressed: {
        reason: 'bounced',
        at: Timestamp.fromMillis(at('2026-11-23T09:55:00Z') * 1000),
      },
    });
    expect((await fs.db.doc('users/u-fine').get()).get('suppressionCheck')).toEqual(
      checked('fine@example.test'),
    );
    // Lifted by an operator: the profile says so too.
    await removeSuppression(fs.db, 'gone@example.test');
    expect((await fs.db.doc('users/u-gone').get()).get('suppressionCheck')).toEqual(
      checked('gone@example.test'),
    );
  });

  it('a redelivered batch rewrites a profile the first delivery did not reach', async () => {
    await post(body).expect(200);
    // As if the first request had failed after writing the entries, before the profiles: a
    // profile checked against the address still says "not suppressed".
    await fs.db.doc('users/u-late').set({
      email: 'old@example.test',
      suppressionCheck: { email: 'old@example.test', suppressed: null },
    });
    const again = await post(body);
    expect(again.body).toMatchObject({
      suppressionEvents: 0,
      duplicateEvents: 6,
      profilesUpdated: 1,
    });
    expect((await fs.db.doc('users/u-late').get()).get('suppressionCheck')).toMatchObject({
      email: 'old@example.test',
      suppressed: { reason: 'bounced' },
    });
  });

  it('unknown event types are ignored and malformed events skipped; the rest of the batch counts', async () => {
    const mixed = JSON.stringify([
      event({ event: 'group_resubscribe', sg_event_id: 'x1' }),
      event({ event: 'machine_opened', sg_event_id: 'x2' }),
      { event: 'bounce', type: 'bounce', sg_event_id: 'x3' },
      event({ event: 'bounce', type: 'bounce', timestamp: 'yesterday', sg_event_id: 'x4' }),
      event({ event: 'bounce', type: 'bounce', timestamp: 1e15, sg_event_id: 'x4b' }),
      event({ event: 'bounce', type: 'bounce', email: 'real@example.test', sg_event_id: 'x5' }),
      // A custom arg that cannot be a document id is dropped, not the bounce it came with.
      event({
        event: 'spamreport',
        email: 'odd@example.test',
        deliveryId: '../../users/x',
        userId: 'a/b',
        sg_event_id: 'x6',
      }),
    ]);
    const res = await post(mixed);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      received: 7,
      ignored: 2,
      invalid: 3,
      suppressionEvents: 2,
      usersUnsubscribed: 0,
      deliveriesUpdated: 0,
      deliveriesMissing: 0,
    });
    expect((await allSuppressions()).map((s) => s.email).sort()).toEqual([
      'odd@example.test',
      'real@example.test',
    ]);
  });

  it('an event without sg_event_id is still applied once (keyed by its content)', async () => {
    const once = JSON.stringify([event({ event: 'bounce', type: 'bounce' })]);
    await post(once).expect(200);
    const again = await post(once);
    expect(again.body).toMatchObject({ suppressionEvents: 0, duplicateEvents: 1 });
    expect((await suppression('someone@example.test'))!.sgEventIds).toHaveLength(1);
  });
});

describe('POST /api/webhooks/sendgrid/events: delivery records', () => {
  it('updates the provider fields of the delivery named by deliveryId; a missing one is not created', async () => {
    const ref = fs.db.collection('deliveries').doc('email_abc');
    await ref.set({ status: 'sent', channel: 'email', providerMessageId: '14c5d75ce93' });
    const events = JSON.stringify([
      event({ event: 'processed', deliveryId: 'email_abc', timestamp: at('2026-11-23T09:50:00Z') }),
      event({ event: 'open', deliveryId: 'email_abc', timestamp: at('2026-11-23T09:59:00Z') }),
      event({ event: 'delivered', deliveryId: 'email_abc', timestamp: at('2026-11-23T09:51:00Z') }),
      event({ event: 'delivered', deliveryId: 'email_gone', sg_event_id: 'd2' }),
      event({ event: 'delivered', deliveryId: '', sg_event_id: 'd3' }),
    ]);
    const res = await post(events);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ deliveriesUpdated: 1, deliveriesMissing: 1 });
    expect((await ref.get()).data()).toEqual({
      status: 'sent',
      channel: 'email',
      providerMessageId: '14c5d75ce93',
      providerStatus: 'open',
      providerEvents: {
        processed: Timestamp.fromMillis(at('2026-11-23T09:50:00Z') * 1000),
        delivered: Timestamp.fromMillis(at('2026-11-23T09:51:00Z') * 1000),
        open: Timestamp.fromMillis(at('2026-11-23T09:59:00Z') * 1000),
      },
      providerUpdatedAt: Timestamp.fromDate(clock.now()),
    });
    expect((await fs.db.collection('deliveries').doc('email_gone').get()).exists).toBe(false);

    // A late `deferred` does not move the status back; a bounce moves it on and says why.
    await post(JSON.stringify([event({ event: 'deferred', deliveryId: 'email_abc' })])).expect(200);
    expect((await ref.get()).get('providerStatus')).toBe('open');
    await post(
      JSON.stringify([
        event({
          event: 'bounce',
          type: 'blocked',
          reason: '421 rate limited',
          deliveryId: 'email_abc',
        }),
      ]),
    ).expect(200);
    expect((await ref.get()).get('providerStatus')).toBe('blocked');
    expect((await ref.get()).get('providerReason')).toBe('421 rate limited');
  });
});

describe('POST /api/webhooks/sendgrid/events: what is refused', () => {
  const body = JSON.stringify([
    event({ event: 'bounce', type: 'bounce', email: 'victim@example.test', sg_event_id: 'r1' }),
  ]);

  async function expectUnauthorized(res: request.Response, message: RegExp): Promise<void> {
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    expect(res.body).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(res.body.message).toMatch(message);
    expect(await allSuppressions()).toEqual([]);
  }

  it('a signature by another key', async () => {
    await expectUnauthorized(
      await post(body, signed(body, { key: stranger.privateKey })),
      /invalid signature/,
    );
  });

  it('a valid signature over a different body (one byte changed)', async () => {
    const headers = signed(body);
    await expectUnauthorized(
      await post(body.replace('victim', 'victin'), headers),
      /invalid signature/,
    );
  });

  it('a signature that is not base64 DER, or a timestamp that was not the one signed', async () => {
    await expectUnauthorized(
      await post(body, { ...signed(body), 'X-Twilio-Email-Event-Webhook-Signature': 'bm9wZQ==' }),
      /invalid signature/,
    );
    const headers = signed(body);
    headers['X-Twilio-Email-Event-Webhook-Timestamp'] = String(Number(nowSeconds()) - 1);
    await expectUnauthorized(await post(body, headers), /invalid signature/);
  });

  it('missing headers', async () => {
    const headers = signed(body);
    const { 'X-Twilio-Email-Event-Webhook-Signature': _s, ...noSignature } = headers;
    const { 'X-Twilio-Email-Event-Webhook-Timestamp': _t, ...noTimestamp } = headers;
    await expectUnauthorized(await post(body, noSignature), /missing signature headers/);
    await expectUnauthorized(await post(body, noTimestamp), /missing signature headers/);
    await expectUnauthorized(
      await request(app).post(PATH).set('Content-Type', 'application/json').send(body),
      /missing/,
    );
  });

  it('a stale (replayed) or far-future timestamp, correctly signed', async () => {
    const old = String(Number(nowSeconds()) - 11 * 60);
    await expectUnauthorized(await post(body, signed(body, { timestamp: old })), /stale/);
    const future = String(Number(nowSeconds()) + 11 * 60);
    await expectUnauthorized(await post(body, signed(body, { timestamp: future })), /stale/);
    const recent = String(Number(nowSeconds()) - 9 * 60);
    expect((await post(body, signed(body, { timestamp: recent }))).status).toBe(200);
  });

  it('every event while no verification key is configured, with a log line saying so', async () => {
    const { app: unconfigured, runtime } = appWith('');
    const res = await post(body, signed(body), unconfigured);
    await expectUnauthorized(res, /not configured/);
    expect(runtime.logger.lines).toContainEqual(
      expect.objectContaining({
        level: 'ERROR',
        message: expect.stringMatching(/SENDGRID_WEBHOOK_PUBLIC_KEY is not configured/),
      }),
    );
  });

  it('a configured key that is not an ECDSA public key', async () => {
    const { app: misconfigured, runtime } = appWith('bm90IGEga2V5');
    await expectUnauthorized(await post(body, signed(body), misconfigured), /key unusable/);
    expect(runtime.logger.lines).toContainEqual(
      expect.objectContaining({ level: 'ERROR', message: expect.stringMatching(/not a valid/) }),
    );
  });

  it('malformed JSON (correctly signed) → 400; JSON that is not an array → 400', async () => {
    const broken = '[{"event": "bounce", ';
    const res = await post(broken);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'MALFORMED_JSON' });
    const object = JSON.stringify({ event: 'bounce' });
    const res2 = await post(object);
    expect(res2.status).toBe(400);
    expect(res2.body).toMatchObject({ code: 'VALIDATION_ERROR' });
    expect(await allSuppressions()).toEqual([]);
  });

  it('GET is not a route', async () => {
    expect((await request(app).get(PATH)).status).toBe(404);
  });
});

describe('POST /api/webhooks/sendgrid/events: batch size', () => {
  const many = (n: number, pad = 0) =>
    Array.from({ length: n }, (_, i) =>
      event({
        event: 'delivered',
        email: `user${i}@example.test`,
        sg_event_id: `big-${i}-${'x'.repeat(pad)}`,
      }),
    );

  it('accepts a batch far above the API JSON limit (SendGrid posts up to 768 KB)', async () => {
    const body = JSON.stringify(many(3000));
    expect(body.length).toBeGreaterThan(TEST_CONFIG.bodyLimitBytes * 10);
    const res = await post(body);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ received: 3000, invalid: 0 });
  });

  it('refuses a body over 1 MiB with 413', async () => {
    const body = JSON.stringify(many(2000, 600));
    expect(body.length).toBeGreaterThan(1024 * 1024);
    const res = await post(body);
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
  });

  it('refuses more than 10,000 events with 400', async () => {
    const body = JSON.stringify(Array.from({ length: 10_001 }, () => ({})));
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/at most 10000 events/);
  });
});

describe('under Cloud Functions (body already read, bytes on req.rawBody)', () => {
  // The Functions Framework parses JSON itself and keeps the bytes on `rawBody`; the app must
  // verify those bytes, not a re-serialisation of the parsed body.
  const framework = express();
  framework.use(
    express.json({
      limit: '10mb',
      verify: (req, _res, buf) => {
        (req as unknown as { rawBody: Buffer }).rawBody = buf;
      },
    }),
  );
  framework.use(app);

  it('verifies req.rawBody and records the events', async () => {
    // Spacing that JSON.stringify(req.body) would not reproduce.
    const body = `[ {"event":"bounce","type":"bounce","email":"fw@example.test","timestamp":${at(
      '2026-11-23T09:55:00Z',
    )},"sg_event_id":"fw1"} ]`;
    const res = await request(framework).post(PATH).set(signed(body)).send(body);
    expect(res.status).toBe(200);
    expect(await isSuppressed(fs.db, 'fw@example.test')).toEqual({
      suppressed: true,
      reason: 'bounced',
    });
  });

  it('still refuses a bad signature', async () => {
    const body = JSON.stringify([event({ event: 'bounce', type: 'bounce', sg_event_id: 'fw2' })]);
    const res = await request(framework)
      .post(PATH)
      .set(signed(body, { key: stranger.privateKey }))
      .send(body);
    expect(res.status).toBe(401);
  });
});
