import { createHash } from 'node:crypto';
import type {
  AndroidConfig,
  ApnsConfig,
  BaseMessage,
  WebpushConfig,
} from 'firebase-admin/messaging';
import { systemClock, type Clock } from '../../core/clock';
import type { NotificationCategory, PushContent } from '../../domain/notifications/channels';

/**
 * How one push looks on each platform: the FCM message built from a notification's content (channel,
 * priority, TTL, collapse and grouping keys, byte budgets, data payload). Pure: no I/O.
 */

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
