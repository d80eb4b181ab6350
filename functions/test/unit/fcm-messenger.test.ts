import path from 'node:path';
import { deleteApp, initializeApp } from 'firebase-admin/app';
import {
  getMessaging,
  type BatchResponse,
  type Message,
  type SendResponse,
  type TokenMessage,
} from 'firebase-admin/messaging';
import { FixedClock } from '../../src/core/clock';
import {
  DeliveryError,
  type NotificationCategory,
  type PushContent,
} from '../../src/domain/notifications/channels';
import {
  APNS_COLLAPSE_ID_MAX_BYTES,
  classifyFcmError,
  fcmChannelFor,
  fcmCollapseKey,
  fcmDataPayload,
  fcmMessageBase,
  fcmMessenger,
  type MessagingTransport,
} from '../../src/infra/fcm/fcm.messenger';
import { recordingMessaging } from '../support/recording-messaging';

// firebase-admin's own internals (not in its `exports` map, so loaded by file path): the message
// validator that `send`/`sendEach` run before the network, and the mapping of FCM HTTP responses
// to the errors a real `SendResponse` carries. Testing against them keeps the adapter honest
// about the SDK version actually installed.
const messagingDir = path.dirname(require.resolve('firebase-admin/messaging'));
interface FcmResponseLike {
  response: { isJson(): boolean; data?: unknown; status?: number; text?: string };
}
/** What firebase-admin's error classes look like from outside. */
type SdkError = Error & { code: string; toJSON(): object };
let validateMessage: (message: Message) => void;
let createFirebaseError: (err: FcmResponseLike) => SdkError;
let FirebaseAppError: new (code: string, message: string) => SdkError;
let FirebaseMessagingSessionError: new (
  info: { code: string; message: string },
  message: string | undefined,
  pending: Promise<BatchResponse> | undefined,
) => Error & { code: string };

beforeAll(async () => {
  ({ validateMessage } = (await import(path.join(messagingDir, 'messaging-internal.js'))) as {
    validateMessage: typeof validateMessage;
  });
  ({ createFirebaseError } = (await import(
    path.join(messagingDir, 'messaging-errors-internal.js')
  )) as { createFirebaseError: typeof createFirebaseError });
  ({ FirebaseAppError, FirebaseMessagingSessionError } = (await import(
    path.join(messagingDir, '..', 'utils', 'error.js')
  )) as {
    FirebaseAppError: typeof FirebaseAppError;
    FirebaseMessagingSessionError: typeof FirebaseMessagingSessionError;
  });
});

const clock = new FixedClock('2026-03-02T09:00:00Z');
const NOW_S = Date.parse('2026-03-02T09:00:00Z') / 1000;

const content = (over: Partial<PushContent> = {}): PushContent => ({
  title: 'Ship v1',
  body: 'Ann assigned you a task',
  category: 'task_assigned',
  data: {},
  taskId: 't1',
  projectId: 'p1',
  groupKey: 'task:t1',
  ...over,
});

/** FCM v1's JSON error body, as the HTTP API returns it. */
const v1Error = (status: number, canonical: string, errorCode: string, message: string) => ({
  response: {
    isJson: () => true,
    data: {
      error: {
        code: status,
        message,
        status: canonical,
        details: [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode }],
      },
    },
  },
});
const nonJson = (status: number) => ({
  response: { isJson: () => false, status, text: '<html>error</html>' },
});

const tokens = (n: number, prefix = 'tok') => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

describe('fcmMessageBase', () => {
  it('lays out notification, data, Android, APNs and Web Push options of a task event', () => {
    const base = fcmMessageBase(content({ badge: 3, data: { action: 'open' } }), 'token', {
      clock,
      webBaseUrl: 'https://taskflow.app/',
    });
    expect(base).toEqual({
      notification: { title: 'Ship v1', body: 'Ann assigned you a task' },
      data: { action: 'open', type: 'task_assigned', taskId: 't1', projectId: 'p1' },
      android: {
        priority: 'high',
        collapseKey: 'task:t1',
        ttl: 7 * 24 * 3600 * 1000,
        notification: { tag: 'task:t1', channelId: 'tasks', notificationCount: 3 },
      },
      apns: {
        headers: {
          'apns-push-type': 'alert',
          'apns-priority': '10',
          'apns-collapse-id': 'task:t1',
          'apns-expiration': String(NOW_S + 7 * 24 * 3600),
        },
        payload: {
          aps: {
            threadId: 'task:t1',
            category: 'task_assigned',
            sound: 'default',
            mutableContent: true,
            badge: 3,
          },
        },
      },
      webpush: {
        headers: { Urgency: 'high', TTL: String(7 * 24 * 3600), Topic: expect.any(String) },
        notification: { tag: 'task:t1', renotify: true },
        fcmOptions: { link: 'https://taskflow.app/tasks/t1' },
      },
      fcmOptions: { analyticsLabel: 'task_assigned' },
    });
    expect(base.webpush?.headers?.Topic).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });

  it('passes firebase-admin’s own message validation, for a token and for a topic', () => {
    const token: Message = {
      ...fcmMessageBase(content({ badge: 0 }), 'token', { clock }),
      token: 'x',
    };
    const wire = structuredClone(token);
    expect(() => {
      validateMessage(wire);
    }).not.toThrow();
    // The SDK renames to the wire names FCM expects; these are what the devices get.
    expect(wire.android).toMatchObject({
      collapse_key: 'task:t1',
      ttl: '604800s',
      notification: { tag: 'task:t1', channel_id: 'tasks', notification_count: 0 },
    });
    expect(wire.apns?.payload?.aps).toMatchObject({
      'thread-id': 'task:t1',
      'mutable-content': 1,
      badge: 0,
    });

    const topic = structuredClone({
      ...fcmMessageBase(content({ category: 'broadcast', groupKey: 'broadcast:b1' }), 'topic'),
      topic: 'task-reminders',
    });
    expect(() => {
      validateMessage(topic);
    }).not.toThrow();
  });

  it('renames FCM-reserved data keys, drops empty keys, and keeps type/taskId/projectId authoritative', () => {
    const data = fcmDataPayload(
      content({
        data: {
          from: 'ann',
          notification: 'n',
          message_type: 'm',
          collapse_key: 'c',
          'google.c.a.e': '1',
          gcm_thing: 'g',
          GoogleSomething: 'G',
          '': 'empty',
          type: 'forged',
          taskId: 'other',
          keep: 'me',
        },
      }),
    );
    expect(data).toEqual({
      x_from: 'ann',
      x_notification: 'n',
      x_message_type: 'm',
      x_collapse_key: 'c',
      'x_google.c.a.e': '1',
      x_gcm_thing: 'g',
      x_GoogleSomething: 'G',
      keep: 'me',
      type: 'task_assigned',
      taskId: 't1',
      projectId: 'p1',
    });
    // A producer's own `x_from` is not overwritten by the renamed `from`.
    expect(fcmDataPayload(content({ data: { from: 'a', x_from: 'b' } })).x_from).toBe('b');
    // Without task/project, only `type` is added.
    expect(
      fcmDataPayload(content({ taskId: undefined, projectId: undefined, category: 'broadcast' })),
    ).toEqual({ type: 'broadcast' });
  });

  it('keeps short plain group keys and hashes long or unusual ones deterministically within 64 bytes', () => {
    expect(fcmCollapseKey('task:abc123')).toBe('task:abc123');
    expect(fcmCollapseKey('summary:daily')).toBe('summary:daily');

    const long = `task:${'x'.repeat(200)}`;
    const unicode = 'projekt:Überprüfung/Q3 ✓';
    const hashed = [long, `${long}y`, unicode, 'task:a b', 'task:a_b ', 'a'.repeat(65)].map(
      fcmCollapseKey,
    );
    for (const key of hashed) {
      expect(Buffer.byteLength(key, 'utf8')).toBeLessThanOrEqual(APNS_COLLAPSE_ID_MAX_BYTES);
      expect(key).toMatch(/^[A-Za-z0-9_.:-]{0,41}~[A-Za-z0-9_-]{22}$/);
    }
    expect(new Set(hashed).size).toBe(hashed.length);
    expect(fcmCollapseKey(long)).toBe(hashed[0]); // deterministic
    expect(fcmCollapseKey('task:a_b')).not.toBe(fcmCollapseKey('task:a b'));

    // The message uses the hashed id everywhere a limit applies, and the raw key as thread-id.
    const base = fcmMessageBase(content({ groupKey: long }), 'token', { clock });
    expect(base.apns?.headers?.['apns-collapse-id']).toBe(hashed[0]);
    expect(base.android?.collapseKey).toBe(hashed[0]);
    expect(base.android?.notification?.tag).toBe(hashed[0]);
    expect(base.webpush?.notification?.tag).toBe(hashed[0]);
    expect(base.apns?.payload?.aps.threadId).toBe(long);
    // An empty group key falls back to grouping by type.
    expect(fcmMessageBase(content({ groupKey: '' })).android?.collapseKey).toBe(
      'type:task_assigned',
    );
  });

  it('uses each category family’s channel, priority and lifetime', () => {
    const expected: Record<NotificationCategory, [string, 'high' | 'normal', string, number]> = {
      task_assigned: ['tasks', 'high', '10', 7],
      task_unassigned: ['tasks', 'high', '10', 7],
      task_status_changed: ['tasks', 'high', '10', 7],
      task_completed: ['tasks', 'high', '10', 7],
      task_due_soon: ['reminders', 'high', '10', 1],
      task_overdue: ['reminders', 'high', '10', 1],
      daily_summary: ['summaries', 'normal', '5', 1],
      weekly_summary: ['summaries', 'normal', '5', 1],
      broadcast: ['announcements', 'normal', '5', 7],
      custom: ['announcements', 'normal', '5', 7],
      workspace_invitation: ['announcements', 'normal', '5', 7],
    };
    for (const [category, [channel, priority, apnsPriority, days]] of Object.entries(expected)) {
      const base = fcmMessageBase(
        content({ category: category as NotificationCategory }),
        'token',
        {
          clock,
        },
      );
      expect([
        fcmChannelFor(category as NotificationCategory),
        base.android?.notification?.channelId,
        base.android?.priority,
        base.apns?.headers?.['apns-priority'],
        base.android?.ttl,
        base.apns?.headers?.['apns-expiration'],
        base.webpush?.headers?.Urgency,
      ]).toEqual([
        channel,
        channel,
        priority,
        apnsPriority,
        days * 86_400_000,
        String(NOW_S + days * 86_400),
        priority,
      ]);
    }
    // Quiet families do not re-alert when they replace an earlier push.
    expect(
      fcmMessageBase(content({ category: 'daily_summary' })).webpush?.notification,
    ).not.toHaveProperty('renotify');
  });

  it('cuts an over-long title and body at a character boundary, tighter for topics', () => {
    const title = '🚀'.repeat(100); // 400 bytes
    const body = 'é'.repeat(2000); // 4000 bytes
    const forToken = fcmMessageBase(content({ title, body }), 'token').notification!;
    const forTopic = fcmMessageBase(content({ title, body }), 'topic').notification!;
    expect(Buffer.byteLength(forToken.title!, 'utf8')).toBeLessThanOrEqual(256);
    expect(Buffer.byteLength(forToken.body!, 'utf8')).toBeLessThanOrEqual(1536);
    expect(Buffer.byteLength(forTopic.title!, 'utf8')).toBeLessThanOrEqual(128);
    expect(Buffer.byteLength(forTopic.body!, 'utf8')).toBeLessThanOrEqual(768);
    expect(forToken.title).toBe(`${'🚀'.repeat(63)}…`); // 63 × 4 + 3 = 255 bytes, no split emoji
    expect(forToken.body!.endsWith('é…')).toBe(true);
    // Text within budget is untouched.
    expect(fcmMessageBase(content()).notification).toEqual({
      title: 'Ship v1',
      body: 'Ann assigned you a task',
    });
  });

  it('links a web push to its task only over HTTPS and only when the task is known', () => {
    const https = { webBaseUrl: 'https://taskflow.app' };
    expect(fcmMessageBase(content({ taskId: 'a/b' }), 'token', https).webpush?.fcmOptions).toEqual({
      link: 'https://taskflow.app/tasks/a%2Fb',
    });
    expect(
      fcmMessageBase(content(), 'token', { webBaseUrl: 'http://localhost:5000' }).webpush,
    ).not.toHaveProperty('fcmOptions');
    expect(
      fcmMessageBase(content({ taskId: undefined }), 'token', https).webpush,
    ).not.toHaveProperty('fcmOptions');
    expect(fcmMessageBase(content()).webpush).not.toHaveProperty('fcmOptions');
  });
});

describe('fcmMessenger.sendToTokens', () => {
  it('sends 1,201 tokens as sendEach calls of 500, 500 and 201 and answers in input order', async () => {
    const transport = recordingMessaging();
    const list = tokens(1201);
    const results = await fcmMessenger(transport, { clock }).sendToTokens(list, content());

    expect(transport.batchSizes).toEqual([500, 500, 201]);
    expect(transport.counts).toMatchObject({ sendEachCalls: 3, accepted: 1201, failed: 0 });
    expect(results.map((r) => r.token)).toEqual(list);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(results[0]).toEqual({ token: 'tok-0', ok: true, messageId: 'projects/demo/messages/1' });
    expect(results[1200]).toEqual({
      token: 'tok-1200',
      ok: true,
      messageId: 'projects/demo/messages/1201',
    });
    // Each message is the shared layout plus its own token.
    const sent = transport.sent as TokenMessage[];
    expect(sent.map((m) => m.token)).toEqual(list);
    expect(sent[700]).toEqual({
      ...fcmMessageBase(content(), 'token', { clock }),
      token: 'tok-700',
    });
  });

  it('sends a duplicated token once and gives every copy the same result', async () => {
    const transport = recordingMessaging();
    transport.failToken('dead', 'messaging/registration-token-not-registered');
    const results = await fcmMessenger(transport).sendToTokens(
      ['a', 'dead', 'a', 'b', 'dead', 'a'],
      content(),
    );
    expect((transport.sent as TokenMessage[]).map((m) => m.token)).toEqual(['a', 'dead', 'b']);
    expect(results.map((r) => r.token)).toEqual(['a', 'dead', 'a', 'b', 'dead', 'a']);
    expect(results[2]).toBe(results[0]);
    expect(results[5]).toBe(results[0]);
    expect(results[4]).toBe(results[1]);
    expect(results.map((r) => r.ok)).toEqual([true, false, true, true, false, true]);
  });

  it('classifies per-token failures as unregistered, transient or permanent', async () => {
    const transport = recordingMessaging();
    const failures: Record<string, string> = {
      gone: 'messaging/registration-token-not-registered',
      bogus: 'messaging/invalid-registration-token',
      busy: 'messaging/server-unavailable',
      flaky: 'messaging/internal-error',
      quota: 'messaging/message-rate-exceeded',
      device: 'messaging/device-message-rate-exceeded',
      net: 'app/network-error',
      payload: 'messaging/invalid-argument',
      sender: 'messaging/mismatched-credential',
      apns: 'messaging/third-party-auth-error',
    };
    for (const [token, code] of Object.entries(failures)) transport.failToken(token, code);

    const results = await fcmMessenger(transport).sendToTokens(
      ['ok1', ...Object.keys(failures), 'ok2'],
      content(),
    );
    const outcome = Object.fromEntries(
      results.map((r) => [r.token, r.ok ? 'ok' : `${r.error.kind} ${r.error.code}`]),
    );
    expect(outcome).toEqual({
      ok1: 'ok',
      gone: 'unregistered messaging/registration-token-not-registered',
      bogus: 'unregistered messaging/invalid-registration-token',
      busy: 'transient messaging/server-unavailable',
      flaky: 'transient messaging/internal-error',
      quota: 'transient messaging/message-rate-exceeded',
      device: 'transient messaging/device-message-rate-exceeded',
      net: 'transient app/network-error',
      payload: 'permanent messaging/invalid-argument',
      sender: 'permanent messaging/mismatched-credential',
      apns: 'permanent messaging/third-party-auth-error',
      ok2: 'ok',
    });
    for (const r of results) if (!r.ok) expect(r.error).toBeInstanceOf(DeliveryError);
  });

  it('maps the SDK’s real SendResponse errors, including a broken HTTP/2 session’s partial outcome', async () => {
    const batch = (responses: SendResponse[]): BatchResponse => ({
      responses,
      successCount: responses.filter((r) => r.success).length,
      failureCount: responses.filter((r) => !r.success).length,
    });
    const transport: MessagingTransport = {
      send: () => Promise.reject(new Error('unused')),
      sendEach: () =>
        Promise.reject(
          new FirebaseMessagingSessionError(
            new FirebaseAppError('network-error', 'GOAWAY'),
            undefined,
            Promise.resolve(
              batch([
                { success: true, messageId: 'projects/p/messages/1' },
                {
                  success: false,
                  error: createFirebaseError(
                    v1Error(404, 'NOT_FOUND', 'UNREGISTERED', 'Requested entity was not found.'),
                  ),
                },
                { success: false, error: new FirebaseAppError('network-error', 'stream reset') },
              ]),
            ),
          ),
        ),
    };
    const results = await fcmMessenger(transport).sendToTokens(['a', 'b', 'c'], content());
    expect(results.map((r) => (r.ok ? r.messageId : `${r.error.kind} ${r.error.code}`))).toEqual([
      'projects/p/messages/1',
      'unregistered messaging/registration-token-not-registered',
      'transient app/network-error',
    ]);
  });

  it('answers [] for no tokens and reports a blank token as unregistered, without sending it', async () => {
    const transport = recordingMessaging();
    const messenger = fcmMessenger(transport);
    expect(await messenger.sendToTokens([], content())).toEqual([]);
    const [blank, good] = await messenger.sendToTokens(['  ', 'good'], content());
    expect(blank).toMatchObject({
      token: '  ',
      ok: false,
      error: { kind: 'unregistered', code: 'messaging/invalid-registration-token' },
    });
    expect(good).toMatchObject({ token: 'good', ok: true });
    expect(transport.batchSizes).toEqual([1]);
    expect(await messenger.sendToTokens([''], content())).toMatchObject([
      { ok: false, error: { kind: 'unregistered' } },
    ]);
    expect(transport.counts.sendEachCalls).toBe(1);
  });

  it('throws the classified DeliveryError when the whole call fails', async () => {
    const transport = recordingMessaging();
    const messenger = fcmMessenger(transport);

    transport.failNextCalls(1);
    const transient = await messenger.sendToTokens(['a', 'b'], content()).catch((e: unknown) => e);
    expect(transient).toBeInstanceOf(DeliveryError);
    expect(transient).toMatchObject({ kind: 'transient', code: 'app/network-error' });

    transport.failNextCalls(1, 'messaging/authentication-error');
    await expect(messenger.sendToTokens(['a'], content())).rejects.toMatchObject({
      kind: 'permanent',
      code: 'messaging/authentication-error',
    });
    expect(transport.counts.accepted).toBe(0);

    // The next call goes through again.
    expect(await messenger.sendToTokens(['a'], content())).toMatchObject([{ ok: true }]);
  });

  it('keeps earlier chunks’ successes when a later chunk fails as a whole', async () => {
    const recording = recordingMessaging();
    let calls = 0;
    const transport: MessagingTransport = {
      send: (m) => recording.send(m),
      sendEach: (messages) => {
        calls += 1;
        if (calls === 2) recording.failNextCalls(1, 'messaging/server-unavailable');
        return recording.sendEach(messages);
      },
    };
    const results = await fcmMessenger(transport).sendToTokens(tokens(1100), content());
    expect(calls).toBe(2); // the third chunk is not attempted after a whole-chunk failure
    expect(results.slice(0, 500).every((r) => r.ok)).toBe(true);
    const failed = results.slice(500);
    expect(failed).toHaveLength(600);
    for (const r of failed) {
      expect(r).toMatchObject({
        ok: false,
        error: { kind: 'transient', code: 'messaging/server-unavailable' },
      });
    }
    expect(recording.counts.accepted).toBe(500);
  });
});

describe('fcmMessenger.sendToTopic', () => {
  it('sends one message to the topic (accepting a /topics/ prefix) and answers its id', async () => {
    const transport = recordingMessaging({ projectId: 'demo-taskflow' });
    const messenger = fcmMessenger(transport, { clock });
    const broadcast = content({
      category: 'broadcast',
      groupKey: 'broadcast:b1',
      taskId: undefined,
      projectId: undefined,
    });
    expect(await messenger.sendToTopic('task-reminders', broadcast)).toEqual({
      messageId: 'projects/demo-taskflow/messages/1',
    });
    expect(await messenger.sendToTopic('/topics/a_b.c~d%20', broadcast)).toEqual({
      messageId: 'projects/demo-taskflow/messages/2',
    });
    expect(transport.counts.sendCalls).toBe(2);
    expect(transport.sent).toEqual([
      { ...fcmMessageBase(broadcast, 'topic', { clock }), topic: 'task-reminders' },
      { ...fcmMessageBase(broadcast, 'topic', { clock }), topic: 'a_b.c~d%20' },
    ]);
  });

  it('rejects a malformed topic name as a permanent failure and sends nothing', async () => {
    const transport = recordingMessaging();
    const messenger = fcmMessenger(transport);
    for (const topic of ['', '/topics/', 'has space', 'émoji', 'a/b', 'x'.repeat(901)]) {
      await expect(messenger.sendToTopic(topic, content())).rejects.toMatchObject({
        name: 'DeliveryError',
        kind: 'permanent',
        code: 'messaging/invalid-argument',
      });
    }
    expect(await messenger.sendToTopic('x'.repeat(900), content())).toHaveProperty('messageId');
    expect(transport.counts.sendCalls).toBe(1);
  });

  it('classifies a failed topic send', async () => {
    const transport = recordingMessaging();
    const messenger = fcmMessenger(transport);
    transport.failNextCalls(1, 'messaging/server-unavailable');
    await expect(messenger.sendToTopic('news', content())).rejects.toMatchObject({
      kind: 'transient',
      code: 'messaging/server-unavailable',
    });
    transport.failNextCalls(1, 'messaging/topics-message-rate-exceeded');
    await expect(messenger.sendToTopic('news', content())).rejects.toMatchObject({
      kind: 'transient',
    });
    transport.failNextCalls(1, 'messaging/invalid-argument');
    await expect(messenger.sendToTopic('news', content())).rejects.toMatchObject({
      kind: 'permanent',
    });
  });
});

describe('classifyFcmError', () => {
  it('classifies the errors firebase-admin builds from FCM v1 responses', () => {
    const cases: [FcmResponseLike, string, string][] = [
      [
        v1Error(404, 'NOT_FOUND', 'UNREGISTERED', 'Requested entity was not found.'),
        'unregistered',
        'messaging/registration-token-not-registered',
      ],
      [
        v1Error(
          400,
          'INVALID_ARGUMENT',
          'INVALID_ARGUMENT',
          'The registration token is not a valid FCM registration token',
        ),
        'unregistered',
        'messaging/invalid-argument',
      ],
      [
        v1Error(
          400,
          'INVALID_ARGUMENT',
          'INVALID_ARGUMENT',
          "Invalid value at 'message.data[0].value'",
        ),
        'permanent',
        'messaging/invalid-argument',
      ],
      [
        v1Error(429, 'RESOURCE_EXHAUSTED', 'QUOTA_EXCEEDED', 'Quota exceeded.'),
        'transient',
        'messaging/message-rate-exceeded',
      ],
      [
        v1Error(503, 'UNAVAILABLE', 'UNAVAILABLE', 'The service is currently unavailable.'),
        'transient',
        'messaging/server-unavailable',
      ],
      [
        v1Error(500, 'INTERNAL', 'INTERNAL', 'Internal error encountered.'),
        'transient',
        'messaging/internal-error',
      ],
      [
        v1Error(403, 'PERMISSION_DENIED', 'SENDER_ID_MISMATCH', 'SenderId mismatch'),
        'permanent',
        'messaging/mismatched-credential',
      ],
      [
        v1Error(
          401,
          'UNAUTHENTICATED',
          'THIRD_PARTY_AUTH_ERROR',
          'Auth error from APNS or Web Push Service',
        ),
        'permanent',
        'messaging/third-party-auth-error',
      ],
      [
        v1Error(400, 'INVALID_ARGUMENT', 'UNSPECIFIED_ERROR', 'No more information'),
        'permanent',
        'messaging/unknown-error',
      ],
      [nonJson(503), 'transient', 'messaging/server-unavailable'],
      [nonJson(500), 'transient', 'messaging/internal-error'],
      [nonJson(502), 'transient', 'messaging/unknown-error'],
      [nonJson(504), 'transient', 'messaging/unknown-error'],
      [nonJson(429), 'transient', 'messaging/unknown-error'],
      [nonJson(400), 'permanent', 'messaging/invalid-argument'],
      [nonJson(401), 'permanent', 'messaging/authentication-error'],
      [nonJson(404), 'permanent', 'messaging/unknown-error'],
    ];
    const got = cases.map(([response]) => {
      const err = createFirebaseError(response);
      const classified = classifyFcmError(err);
      return [classified.kind, classified.code, classified.message === err.message];
    });
    expect(got).toEqual(cases.map(([, kind, code]) => [kind, code, true]));
  });

  it('treats transport failures as transient and anything unrecognised as permanent', () => {
    const kind = (err: unknown) => classifyFcmError(err).kind;
    expect(kind(new FirebaseAppError('network-error', 'socket hang up'))).toBe('transient');
    expect(kind(new FirebaseAppError('network-timeout', 'timeout'))).toBe('transient');
    expect(
      kind(
        new FirebaseMessagingSessionError(
          new FirebaseAppError('network-error', 'GOAWAY'),
          undefined,
          undefined,
        ),
      ),
    ).toBe('transient');
    expect(kind(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe(
      'transient',
    );
    expect(kind(new FirebaseAppError('invalid-credential', 'no token'))).toBe('permanent');
    expect(kind(new TypeError('x is undefined'))).toBe('permanent');
    expect(classifyFcmError('boom')).toMatchObject({
      kind: 'permanent',
      code: 'messaging/unknown-error',
      message: 'boom',
    });
    const already = new DeliveryError('transient', 'sendgrid/429', 'slow down');
    expect(classifyFcmError(already)).toBe(already);
  });
});

describe('recordingMessaging', () => {
  it('counts without keeping messages, fails a token a given number of times, and rejects bad batches like the SDK', async () => {
    const transport = recordingMessaging({ keepMessages: false });
    const messenger = fcmMessenger(transport);
    transport.failToken('t1', 'messaging/server-unavailable', { times: 1 });

    const first = await messenger.sendToTokens(['t1', 't2'], content());
    const second = await messenger.sendToTokens(['t1'], content());
    expect(first.map((r) => r.ok)).toEqual([false, true]);
    expect(second).toEqual([{ token: 't1', ok: true, messageId: 'projects/demo/messages/2' }]);
    expect(transport.sent).toEqual([]);
    expect(transport.counts).toEqual({ accepted: 2, failed: 1, sendCalls: 0, sendEachCalls: 2 });

    await expect(transport.sendEach([])).rejects.toMatchObject({
      code: 'messaging/invalid-argument',
    });
    const tooMany = tokens(501).map((token) => ({ token }));
    await expect(transport.sendEach(tooMany)).rejects.toMatchObject({
      code: 'messaging/invalid-argument',
    });
    // An ill-formed message fails on its own, like the SDK's per-message validation.
    const batch = await transport.sendEach([
      { token: 'ok' },
      { token: 'x', topic: 'y' },
      { topic: 'bad topic' },
    ]);
    expect(batch.responses.map((r) => r.error?.code ?? 'ok')).toEqual([
      'ok',
      'messaging/invalid-payload',
      'messaging/invalid-payload',
    ]);
    expect(batch).toMatchObject({ successCount: 1, failureCount: 2 });

    transport.reset();
    expect(transport.counts).toEqual({ accepted: 0, failed: 0, sendCalls: 0, sendEachCalls: 0 });
    expect(await transport.send({ token: 't' })).toBe('projects/demo/messages/1');
  });
});

describe('fcmMessenger over the real firebase-admin Messaging', () => {
  it('accepts getMessaging(app) as its transport (no network call)', async () => {
    const app = initializeApp({ projectId: 'demo-fcm-unit' }, 'fcm-messenger-test');
    try {
      const messaging = getMessaging(app);
      const transport: MessagingTransport = messaging;
      const messenger = fcmMessenger(transport, { clock });
      expect(typeof messenger.sendToTokens).toBe('function');
      expect(typeof messenger.sendToTopic).toBe('function');
      expect(messaging.app.options.projectId).toBe('demo-fcm-unit');
      // No network: an empty token list answers without calling FCM.
      expect(await messenger.sendToTokens([], content())).toEqual([]);
    } finally {
      await deleteApp(app);
    }
  });
});
