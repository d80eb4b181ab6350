import { createHash } from 'node:crypto';
import type {
  AndroidConfig,
  ApnsConfig,
  BaseMessage,
  Message,
  Messaging,
  SendResponse,
  WebpushConfig,
} from 'firebase-admin/messaging';
import { systemClock, type Clock } from '../../core/clock';
import {
  FCM_TOPIC_PATTERN,
  DeliveryError,
  type FailureKind,
  type Messenger,
  type NotificationCategory,
  type PushContent,
  type TokenResult,
} from '../../domain/notifications/channels';

/**
 * The part of firebase-admin's `Messaging` the adapter uses. `getMessaging(app)` satisfies it, and
 * so does `recordingMessaging()` (tests, benchmark, local capture) — one adapter, two transports.
 */
export type MessagingTransport = Pick<Messaging, 'send' | 'sendEach'>;

/** Most messages one `sendEach` call accepts (firebase-admin rejects larger arrays). */
export const FCM_MAX_BATCH = 500;

/** FCM's topic name pattern (what firebase-admin and the FCM backend accept). */
export { FCM_TOPIC_PATTERN };

/** APNs rejects an `apns-collapse-id` longer than 64 bytes. */
export const APNS_COLLAPSE_ID_MAX_BYTES = 64;

export interface FcmMessengerOptions {
  /**
   * HTTPS origin of the web app (e.g. `https://taskflow.app`). With it, a web push about a task
   * opens `{webBaseUrl}/tasks/{taskId}` when clicked; FCM accepts only HTTPS links, so any other
   * value is ignored.
   */
  webBaseUrl?: string | undefined;
  /** Source of "now" for the absolute `apns-expiration`; the system clock by default. */
  clock?: Clock | undefined;
}

/** Android notification channels; the app creates them at start-up. */
export type FcmChannelId = 'tasks' | 'reminders' | 'summaries' | 'announcements';

/** How each family of categories is shown and how long it stays worth delivering. */
interface Family {
  channelId: FcmChannelId;
  /** High priority wakes the device at once (FCM `high`, APNs 10, Web Push `Urgency: high`). */
  urgent: boolean;
  /** After this, an undelivered push is dropped by FCM/APNs/the push service: stale news is noise. */
  ttlSeconds: number;
}

const DAY = 24 * 60 * 60;
const TASKS: Family = { channelId: 'tasks', urgent: true, ttlSeconds: 7 * DAY };
const REMINDERS: Family = { channelId: 'reminders', urgent: true, ttlSeconds: DAY };
const SUMMARIES: Family = { channelId: 'summaries', urgent: false, ttlSeconds: DAY };
const ANNOUNCEMENTS: Family = { channelId: 'announcements', urgent: false, ttlSeconds: 7 * DAY };

const FAMILIES: Record<NotificationCategory, Family> = {
  task_assigned: TASKS,
  task_unassigned: TASKS,
  task_status_changed: TASKS,
  task_completed: TASKS,
  task_due_soon: REMINDERS,
  task_overdue: REMINDERS,
  daily_summary: SUMMARIES,
  weekly_summary: SUMMARIES,
  broadcast: ANNOUNCEMENTS,
  custom: ANNOUNCEMENTS,
  workspace_invitation: ANNOUNCEMENTS,
};

/** The Android channel a category is shown in (`tasks`, `reminders`, `summaries`, `announcements`). */
export function fcmChannelFor(category: NotificationCategory): FcmChannelId {
  return FAMILIES[category].channelId;
}

/**
 * Limits of the visible text. FCM caps a whole message at 4096 bytes (2048 to a topic), data
 * included; a task title pasted from a document must not make every push of it fail with
 * `invalid-argument`, so title and body are cut (at a character boundary, with "…") instead.
 */
const TEXT_BUDGET = {
  token: { title: 256, body: 1536 },
  topic: { title: 128, body: 768 },
} as const;

/** Cuts `text` to at most `maxBytes` of UTF-8, never inside a character, marking the cut with "…". */
function fitBytes(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  const budget = maxBytes - 3; // "…" is 3 bytes
  let used = 0;
  let out = '';
  for (const ch of text) {
    const size = Buffer.byteLength(ch, 'utf8');
    if (used + size > budget) break;
    used += size;
    out += ch;
  }
  return `${out}…`;
}

/**
 * A collapse key / collapse id / tag for `groupKey` that every platform accepts: the key itself
 * when it is short and plain (`task:abc123`), otherwise a readable prefix plus a SHA-256 digest,
 * so two different keys never share an id and one key always maps to the same id. At most 64
 * bytes (the APNs `apns-collapse-id` limit). `~` appears only in hashed ids, keeping the mapping
 * one-to-one.
 */
export function fcmCollapseKey(groupKey: string): string {
  if (/^[A-Za-z0-9_.:-]{1,64}$/.test(groupKey)) return groupKey;
  const digest = createHash('sha256').update(groupKey, 'utf8').digest('base64url').slice(0, 22);
  const prefix = groupKey.replace(/[^A-Za-z0-9_.:-]/g, '_').slice(0, 41);
  return `${prefix}~${digest}`;
}

/** Web Push `Topic` header: up to 32 URL-safe base64 characters; replaces a pending push with the same topic. */
function webPushTopic(groupKey: string): string {
  return createHash('sha256').update(groupKey, 'utf8').digest('base64url').slice(0, 32);
}

/**
 * Data keys FCM reserves: `from`, `notification`, `message_type` and anything starting with
 * `google` or `gcm` are rejected (the whole message fails); `collapse_key` is accepted but
 * silently overwritten by FCM. Such keys are sent as `x_<key>` instead, so the value survives.
 */
const RESERVED_DATA_KEY = /^(?:from|notification|message_type|collapse_key)$|^(?:google|gcm)/i;

/**
 * The `data` map of a push: the producer's data with reserved keys renamed (see above) and empty
 * keys dropped, then `type` (= category), `taskId` and `projectId`, which the app's deep links
 * rely on and which therefore win over producer keys of the same name. All values are strings.
 */
export function fcmDataPayload(content: PushContent): Record<string, string> {
  const data: Record<string, string> = {};
  for (const [key, value] of Object.entries(content.data)) {
    if (key === '') continue;
    const target = RESERVED_DATA_KEY.test(key) ? `x_${key}` : key;
    // An explicit producer key `x_from` beats a renamed `from`.
    if (target !== key && Object.hasOwn(content.data, target)) continue;
    data[target] = value;
  }
  data.type = content.category;
  if (content.taskId) data.taskId = content.taskId;
  if (content.projectId) data.projectId = content.projectId;
  return data;
}

/**
 * Everything of an FCM message except its target: visible notification, data, and the Android,
 * APNs and Web Push options that implement notification grouping and
 * categorization:
 * - Android: `collapseKey` and `notification.tag` from the group key (a newer push about the same
 *   task replaces the older one in the tray and in FCM's offline store), the category's channel,
 *   priority and TTL;
 * - iOS: `apns-collapse-id` (replace), `thread-id` = group key (stacking), `apns-priority`,
 *   `apns-expiration`, `category` (the app's action buttons), sound, badge, mutable content;
 * - Web: `tag` (replace), Web Push `Topic`/`Urgency`/`TTL` headers, click link to the task.
 */
export function fcmMessageBase(
  content: PushContent,
  target: 'token' | 'topic' = 'token',
  options: FcmMessengerOptions = {},
): BaseMessage {
  const family = FAMILIES[content.category];
  const budget = TEXT_BUDGET[target];
  const title = fitBytes(content.title, budget.title);
  const body = fitBytes(content.body, budget.body);
  const groupKey = content.groupKey === '' ? `type:${content.category}` : content.groupKey;
  const collapseKey = fcmCollapseKey(groupKey);
  const nowSeconds = Math.floor((options.clock ?? systemClock).now().getTime() / 1000);

  const android: AndroidConfig = {
    priority: family.urgent ? 'high' : 'normal',
    collapseKey,
    ttl: family.ttlSeconds * 1000,
    notification: {
      tag: collapseKey,
      channelId: family.channelId,
      ...(content.badge !== undefined ? { notificationCount: content.badge } : {}),
    },
  };

  const apns: ApnsConfig = {
    headers: {
      'apns-push-type': 'alert',
      'apns-priority': family.urgent ? '10' : '5',
      'apns-collapse-id': collapseKey,
      'apns-expiration': String(nowSeconds + family.ttlSeconds),
    },
    payload: {
      aps: {
        threadId: groupKey,
        category: content.category,
        sound: 'default',
        mutableContent: true,
        ...(content.badge !== undefined ? { badge: content.badge } : {}),
      },
    },
  };

  const link =
    content.taskId && options.webBaseUrl?.startsWith('https://')
      ? `${options.webBaseUrl.replace(/\/+$/, '')}/tasks/${encodeURIComponent(content.taskId)}`
      : undefined;
  const webpush: WebpushConfig = {
    headers: {
      Urgency: family.urgent ? 'high' : 'normal',
      TTL: String(family.ttlSeconds),
      Topic: webPushTopic(groupKey),
    },
    notification: { tag: collapseKey, ...(family.urgent ? { renotify: true } : {}) },
    ...(link ? { fcmOptions: { link } } : {}),
  };

  return {
    notification: { title, body },
    data: fcmDataPayload(content),
    android,
    apns,
    webpush,
    fcmOptions: { analyticsLabel: content.category },
  };
}

// ---------------------------------------------------------------------------------------------
// Error classification

const UNREGISTERED_CODES = new Set([
  'messaging/registration-token-not-registered',
  'messaging/invalid-registration-token',
]);

const TRANSIENT_CODES = new Set([
  // What firebase-admin 13 maps FCM's UNAVAILABLE / INTERNAL / QUOTA_EXCEEDED (and the legacy
  // rate errors) to (lib/utils/error.js, MESSAGING_SERVER_TO_CLIENT_CODE):
  'messaging/server-unavailable',
  'messaging/internal-error',
  'messaging/message-rate-exceeded',
  'messaging/device-message-rate-exceeded',
  'messaging/topics-message-rate-exceeded',
  // FCM's own names, in case a transport reports them unmapped:
  'messaging/unavailable',
  'messaging/internal',
  'messaging/quota-exceeded',
  // Transport failures (firebase-admin's HTTP client), and the same wrapped in a
  // FirebaseMessagingSessionError when the HTTP/2 session of a sendEach breaks:
  'app/network-error',
  'app/network-timeout',
  'messaging/app/network-error',
  'messaging/app/network-timeout',
]);

/** Socket-level error codes of Node, for errors that reach us without a Firebase code. */
const NETWORK_ERRNO = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ENETUNREACH',
  'EHOSTUNREACH',
]);

/**
 * FCM v1 reports a malformed token as INVALID_ARGUMENT (firebase-admin: `messaging/invalid-argument`)
 * with this message; other invalid arguments are payload problems and must not prune devices.
 */
const INVALID_TOKEN_MESSAGE = /registration token is not a valid FCM registration token/i;

/** firebase-admin appends the HTTP status of a non-JSON error response to the message. */
const STATUS_IN_MESSAGE = /Status code: (\d{3})\b/;

function errorField(err: unknown, field: 'code' | 'message'): string {
  if (typeof err !== 'object' || err === null) return '';
  const value = (err as Record<string, unknown>)[field];
  return typeof value === 'string' ? value : '';
}

/**
 * Classifies a firebase-admin messaging error (or any thrown value) for the engine:
 * `unregistered` (delete the device, no retry), `transient` (retry with backoff) or `permanent`
 * (record, no retry). Codes are firebase-admin 13's (`error.code`); a `messaging/unknown-error`
 * carrying an HTTP 429/5xx status is transient, every other unknown code is permanent — so a bad
 * payload (`messaging/invalid-argument`) or bad credentials never prune devices or retry forever.
 */
export function classifyFcmError(err: unknown): DeliveryError {
  if (err instanceof DeliveryError) return err;
  const code = errorField(err, 'code');
  const message = errorField(err, 'message') || String(err);
  const kind = ((): FailureKind => {
    if (UNREGISTERED_CODES.has(code)) return 'unregistered';
    if (code === 'messaging/invalid-argument' && INVALID_TOKEN_MESSAGE.test(message)) {
      return 'unregistered';
    }
    if (TRANSIENT_CODES.has(code) || NETWORK_ERRNO.has(code)) return 'transient';
    if (code === 'messaging/unknown-error') {
      const status = Number(STATUS_IN_MESSAGE.exec(message)?.[1]);
      if (status === 429 || (status >= 500 && status <= 599)) return 'transient';
    }
    return 'permanent';
  })();
  return new DeliveryError(kind, code || 'messaging/unknown-error', message);
}

// ---------------------------------------------------------------------------------------------
// The adapter

/** A failed whole-batch `sendEach` may still know the per-message outcome (HTTP/2 session errors). */
function pendingBatch(err: unknown): Promise<{ responses: SendResponse[] }> | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const pending = (err as { pendingBatchResponse?: unknown }).pendingBatchResponse;
  return pending instanceof Promise
    ? (pending as Promise<{ responses: SendResponse[] }>)
    : undefined;
}

const unregisteredBlank = (token: string): TokenResult => ({
  token,
  ok: false,
  error: new DeliveryError(
    'unregistered',
    'messaging/invalid-registration-token',
    'Empty registration token',
  ),
});

/**
 * The FCM adapter of the `Messenger` port over firebase-admin messaging (or the recording
 * transport). Sends with `sendEach` (never the deprecated multicast), 500 messages per call, one
 * call at a time so a fan-out never opens thousands of streams at once; duplicate tokens are sent
 * once and share their result. Per-token failures come back classified (`classifyFcmError`), and
 * the call throws only when nothing could be sent: if a later chunk fails as a whole, its tokens
 * and the rest get that error as their result, keeping the earlier chunks' successes so a retry
 * does not push twice to devices that already have the notification.
 */
export function fcmMessenger(
  messaging: MessagingTransport,
  options: FcmMessengerOptions = {},
): Messenger {
  async function sendChunk(messages: Message[]): Promise<SendResponse[]> {
    try {
      return (await messaging.sendEach(messages)).responses;
    } catch (err) {
      const pending = pendingBatch(err);
      if (pending) {
        const settled = await pending.then(
          (batch) => batch.responses,
          () => undefined,
        );
        if (settled?.length === messages.length) return settled;
      }
      throw classifyFcmError(err);
    }
  }

  return {
    async sendToTokens(tokens, content) {
      if (tokens.length === 0) return [];
      const position = new Map<string, number>();
      const unique: string[] = [];
      for (const token of tokens) {
        if (!position.has(token)) {
          position.set(token, unique.length);
          unique.push(token);
        }
      }
      const results = new Array<TokenResult | undefined>(unique.length);
      const sendable: number[] = [];
      unique.forEach((token, i) => {
        if (token.trim() === '') results[i] = unregisteredBlank(token);
        else sendable.push(i);
      });

      if (sendable.length > 0) {
        const base = fcmMessageBase(content, 'token', options);
        for (let start = 0; start < sendable.length; start += FCM_MAX_BATCH) {
          const chunk = sendable.slice(start, start + FCM_MAX_BATCH);
          let responses: SendResponse[];
          try {
            responses = await sendChunk(chunk.map((i) => ({ ...base, token: unique[i] ?? '' })));
          } catch (err) {
            const error = classifyFcmError(err);
            if (start === 0) throw error;
            for (const i of sendable.slice(start)) {
              results[i] = { token: unique[i] ?? '', ok: false, error };
            }
            break;
          }
          chunk.forEach((i, j) => {
            const token = unique[i] ?? '';
            const response = responses[j];
            results[i] =
              response?.success && response.messageId
                ? { token, ok: true, messageId: response.messageId }
                : {
                    token,
                    ok: false,
                    error: classifyFcmError(
                      response?.error ?? {
                        code: 'messaging/unknown-error',
                        message: 'sendEach returned no response for this message',
                      },
                    ),
                  };
          });
        }
      }

      return tokens.map((token) => {
        const result = results[position.get(token) ?? -1];
        // Unreachable: every unique token got a result above.
        if (!result) throw new Error('fcmMessenger: a token was left without a result');
        return result;
      });
    },

    async sendToTopic(topic, content) {
      const name = topic.startsWith('/topics/') ? topic.slice('/topics/'.length) : topic;
      if (!FCM_TOPIC_PATTERN.test(name)) {
        throw new DeliveryError(
          'permanent',
          'messaging/invalid-argument',
          `Malformed topic name "${topic.slice(0, 100)}": use 1-900 of [a-zA-Z0-9-_.~%]`,
        );
      }
      try {
        const messageId = await messaging.send({
          ...fcmMessageBase(content, 'topic', options),
          topic: name,
        });
        return { messageId };
      } catch (err) {
        throw classifyFcmError(err);
      }
    },
  };
}
