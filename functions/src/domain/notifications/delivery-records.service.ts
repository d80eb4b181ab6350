import { createHash } from 'node:crypto';
import {
  Timestamp,
  type DocumentReference,
  type DocumentSnapshot,
  type Firestore,
} from 'firebase-admin/firestore';
import type { Clock } from '../../core/clock';
import type { Logger } from '../../core/logger';
import type { QueryShape } from '../../core/query-shape';
import { safeZone } from '../../core/time-zone';
import { DEFAULT_TIMEZONE } from '../../core/time-zone';
import { resolvePreferences } from '../users/preferences.service';
import type { NotificationPreferences } from '../users/preferences.schema';
import type {
  EmailTemplateData,
  Mailer,
  Messenger,
  NotificationCategory,
  NotificationIntent,
  PushContent,
} from './channels';
import { CATEGORY_PREFERENCE, type Channel } from './delivery-policy';
import type { NotificationSettings } from './settings';
import {
  SUPPRESSION_CHECK_FIELD,
  suppressionFromProfile,
  type SuppressionStatus,
} from './suppression-check.service';
import type { UnsubscribeScope } from './unsubscribe.service';
import { USERS, DELIVERIES } from '../../storage/collections';

/**
 * The delivery record: ONE document per notification and recipient,
 * `deliveries/{hash(intent key)}`, holding the state of each channel it carries (`push`,
 * `email`). It is created with `create()` — the exactly-once claim of the notification: a
 * redelivered event finds it and does nothing — and, in the common case, finished with one update
 * after both channels were sent. The record-level `status`, `dueAt` and `leaseUntil` sum up the
 * channels (see {@link summarize}) so the releaser, the cleanup sweep and the exports query one
 * field whatever the channels.
 */

/** How long a claimed attempt may take before another releaser may retry it. */
export const LEASE_MS = 5 * 60_000;
/** Most records folded into one coalesced push/email. */
export const MAX_COALESCED = 50;
/** Most devices of one user a push goes to. */
export const MAX_DEVICES = 100;
/** Finished records are kept this long (Firestore TTL on `expireAt`; cleanup sweeps as backstop). */
export const FINISHED_RETENTION_DAYS = 30;

export type DeliveryStatus = 'pending' | 'sending' | 'sent' | 'failed' | 'skipped';
export type HeldReason = 'coalescing' | 'quiet_hours' | 'retry' | null;

/** What is stored to render the message at send time (email data as JSON, dates as ISO). */
export interface StoredContent {
  title: string;
  body: string;
  /** Name of the thing the notification is about (a task title), for coalesced summaries. */
  subject: string | null;
  taskId: string | null;
  projectId: string | null;
  data: Record<string, string>;
  email: string | null;
}

/** One channel of a record. */
export interface ChannelState {
  status: DeliveryStatus;
  dueAt: Timestamp;
  heldReason: HeldReason;
  attempts: number;
  /** Set while an attempt owns the channel (status `sending`). */
  leaseUntil: Timestamp | null;
  sentAt: Timestamp | null;
  lastError: { kind: string; code: string; message: string } | null;
  providerMessageId: string | null;
  /** Records folded into another one's message name it here. */
  coalescedInto: string | null;
  /** On the record that carried a coalesced message: how many it summed up. */
  coalescedCount: number;
  skipReason: string | null;
  /** Push only: what the devices answered. */
  devices: { tokens: number; sent: number; failed: number; pruned: number } | null;
}

export interface DeliveryDoc {
  recipientId: string;
  category: NotificationCategory;
  groupKey: string;
  intentKey: string;
  /** The channels this record carries (those the recipient's preferences allowed). */
  channels: Channel[];
  push: ChannelState | null;
  email: ChannelState | null;
  /** Sum of the channels: `sending` if one is, else `pending` if one is, else the outcome. */
  status: DeliveryStatus;
  /** Earliest `dueAt` of a pending channel (the release query's range). */
  dueAt: Timestamp;
  /** Latest lease of a sending channel (the stuck-attempt query's range). */
  leaseUntil: Timestamp | null;
  /** Bumped by every release attempt; names the claim of the next one. */
  version: number;
  content: StoredContent;
  createdAt: Timestamp;
  updatedAt: Timestamp;
  finishedAt: Timestamp | null;
  expireAt: Timestamp | null;
}

/** Everything the engine needs; the composition root builds it from the runtime. */
export interface NotifierDeps {
  db: Firestore;
  clock: Clock;
  logger: Logger;
  messenger: Messenger;
  mailer: Mailer;
  settings: NotificationSettings;
}

export type ChannelOutcome =
  'sent' | 'held' | 'duplicate' | 'off' | 'retrying' | 'failed' | `skipped:${string}`;

export interface DeliverResult {
  inbox: 'created' | 'duplicate' | 'off' | 'skipped:no_user';
  inboxId: string;
  push: ChannelOutcome;
  email: ChannelOutcome;
}

/** The profile fields delivery decisions read: one document read per recipient. */
export interface Recipient {
  uid: string;
  exists: boolean;
  email: string | null;
  name: string | null;
  timezone: string;
  locale: string | null;
  prefs: NotificationPreferences;
  /**
   * Whether `email` is on the suppression list, as the profile recorded it for that address
   * (`suppression-check.service.ts`); `null` when the profile does not know (then delivery looks
   * it up once and records it).
   */
  suppression: SuppressionStatus | null;
  /** The profile's version as read (`null`: no profile), so a lookup records only onto it. */
  profileUpdateTime: Timestamp | null;
}

export interface Member {
  ref: DocumentReference;
  doc: DeliveryDoc;
}

// ------------------------------------------------------------------------------------------------
// Recipient

export async function loadRecipient(db: Firestore, uid: string): Promise<Recipient> {
  return recipientFrom(await db.collection(USERS).doc(uid).get());
}

/** The recipient a `users/{uid}` snapshot describes (for callers that read profiles in bulk). */
export function recipientFrom(snap: DocumentSnapshot): Recipient {
  const data = snap.data() ?? {};
  const str = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v : null);
  const email = str(data.email);
  return {
    uid: snap.id,
    exists: snap.exists,
    email,
    name: str(data.name),
    // An unknown zone (a profile written around the API) is read as UTC, not thrown on later.
    timezone: str(data.timezone) === null ? DEFAULT_TIMEZONE : safeZone(data.timezone),
    locale: str(data.locale),
    prefs: resolvePreferences(data.notificationPreferences),
    suppression: suppressionFromProfile(data[SUPPRESSION_CHECK_FIELD], email),
    profileUpdateTime: snap.updateTime ?? null,
  };
}

// ------------------------------------------------------------------------------------------------
// Query shapes (checked against firestore.indexes.json by test/unit/indexes.test.ts)

export const DUE_DELIVERIES_QUERY: QueryShape = {
  collection: DELIVERIES,
  equals: ['status'],
  range: 'dueAt',
  orderBy: [['dueAt', 'asc']],
};

export const STUCK_DELIVERIES_QUERY: QueryShape = {
  collection: DELIVERIES,
  equals: ['status'],
  range: 'leaseUntil',
  orderBy: [['leaseUntil', 'asc']],
};

/** The pending records of one (recipient, group): a burst released as one message per channel. */
export const BURST_QUERY: QueryShape = {
  collection: DELIVERIES,
  equals: ['recipientId', 'groupKey', 'status'],
  orderBy: [['createdAt', 'asc']],
};

/** The recent records of one (recipient, group): what decides whether a change leads or waits. */
export const RECENT_GROUP_QUERY: QueryShape = {
  collection: DELIVERIES,
  equals: ['recipientId', 'groupKey'],
  range: 'updatedAt',
  orderBy: [['updatedAt', 'asc']],
};

// ------------------------------------------------------------------------------------------------
// Ids

export function hash(text: string, length = 40): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/** The inbox item of an intent: a redelivered intent finds it already there. */
export function inboxIdFor(intentKey: string): string {
  return `n_${hash(intentKey)}`;
}

/** The delivery record of an intent (both channels). */
export function deliveryIdFor(intentKey: string): string {
  return `d_${hash(intentKey)}`;
}

// ------------------------------------------------------------------------------------------------
// Record state

export function storedContent(intent: NotificationIntent): StoredContent {
  const subject =
    intent.email?.kind === 'task_event' || intent.email?.kind === 'task_due'
      ? intent.email.taskTitle
      : null;
  return {
    title: intent.title,
    body: intent.body,
    subject,
    taskId: intent.taskId ?? null,
    projectId: intent.projectId ?? null,
    data: intent.data ?? {},
    email: intent.email === undefined ? null : JSON.stringify(intent.email),
  };
}

export function channelState(
  status: 'pending' | 'sending',
  dueAt: Date,
  heldReason: HeldReason,
  leaseUntil: Date | null,
): ChannelState {
  return {
    status,
    dueAt: Timestamp.fromDate(dueAt),
    heldReason,
    attempts: 0,
    leaseUntil: leaseUntil === null ? null : Timestamp.fromDate(leaseUntil),
    sentAt: null,
    lastError: null,
    providerMessageId: null,
    coalescedInto: null,
    coalescedCount: 1,
    skipReason: null,
    devices: null,
  };
}

const FINAL_ORDER: readonly DeliveryStatus[] = ['sent', 'failed', 'skipped'];

/**
 * The record-level fields of a record whose channels are `push` and `email`: `sending` while a
 * channel is being sent (lease: the latest), else `pending` while one waits (due: the earliest),
 * else finished — `sent` if a channel was sent, else `failed` if one failed, else `skipped`.
 */
export function summarize(
  push: ChannelState | null,
  email: ChannelState | null,
  now: Date,
  createdAt: Timestamp,
): Pick<DeliveryDoc, 'status' | 'dueAt' | 'leaseUntil' | 'finishedAt' | 'expireAt'> {
  const states = [push, email].filter((s): s is ChannelState => s !== null);
  const sending = states.filter((s) => s.status === 'sending');
  if (sending.length > 0) {
    const lease = Math.max(...sending.map((s) => s.leaseUntil?.toMillis() ?? now.getTime()));
    const due = Math.min(...sending.map((s) => s.dueAt.toMillis()));
    return {
      status: 'sending',
      dueAt: Timestamp.fromMillis(due),
      leaseUntil: Timestamp.fromMillis(lease),
      finishedAt: null,
      expireAt: null,
    };
  }
  const pending = states.filter((s) => s.status === 'pending');
  if (pending.length > 0) {
    return {
      status: 'pending',
      dueAt: Timestamp.fromMillis(Math.min(...pending.map((s) => s.dueAt.toMillis()))),
      leaseUntil: null,
      finishedAt: null,
      expireAt: null,
    };
  }
  const status = FINAL_ORDER.find((f) => states.some((s) => s.status === f)) ?? 'skipped';
  return {
    status,
    dueAt: createdAt,
    leaseUntil: null,
    finishedAt: Timestamp.fromDate(now),
    expireAt: Timestamp.fromMillis(now.getTime() + FINISHED_RETENTION_DAYS * 86_400_000),
  };
}

// ------------------------------------------------------------------------------------------------
// Composing one message from one record or a burst

/** Oldest first: the first record carries the message, the others are folded into it. */
export function ordered(members: readonly Member[]): Member[] {
  return [...members].sort(
    (a, b) =>
      a.doc.createdAt.toMillis() - b.doc.createdAt.toMillis() || a.ref.id.localeCompare(b.ref.id),
  );
}

/** The push of one record, or one push summing up a burst ("3 updates to "Write the post""). */
export function composePush(members: readonly DeliveryDoc[]): PushContent {
  const last = members[members.length - 1];
  if (last === undefined) throw new Error('composePush needs at least one record');
  const c = last.content;
  const base = {
    category: last.category,
    data: c.data,
    taskId: c.taskId ?? undefined,
    projectId: c.projectId ?? undefined,
    groupKey: last.groupKey,
  };
  if (members.length === 1) return { ...base, title: c.title, body: c.body };
  const subject = c.subject ?? c.title;
  const body = members.map((m) => m.content.body).join(' · ');
  return {
    ...base,
    title: `${members.length} updates to "${subject}"`,
    body: body.length > 240 ? `${body.slice(0, 239)}…` : body,
    data: { ...c.data, coalesced: String(members.length) },
  };
}

function reviveEmail(json: string): EmailTemplateData {
  return JSON.parse(json, (key, value: unknown) =>
    (key === 'at' || key === 'dueDate') && typeof value === 'string' ? new Date(value) : value,
  ) as EmailTemplateData;
}

/** The email data of one record, or of a burst: one task_event email listing every change. */
export function composeEmailData(members: readonly DeliveryDoc[]): EmailTemplateData {
  const datas = members.map((m) =>
    m.content.email === null
      ? ({ kind: 'message', heading: m.content.title, body: m.content.body } as const)
      : reviveEmail(m.content.email),
  );
  const last = datas[datas.length - 1];
  if (last === undefined) throw new Error('composeEmailData needs at least one record');
  if (datas.length === 1 || last.kind !== 'task_event') return last;
  const changes = datas.flatMap((d) => (d.kind === 'task_event' ? d.changes : []));
  return { ...last, changes };
}

/** The unsubscribe scope of an email: the category's own switch, or all email when mixed. */
export function unsubscribeScope(members: readonly DeliveryDoc[]): UnsubscribeScope {
  const prefs = new Set(members.map((m) => CATEGORY_PREFERENCE[m.category]));
  const [only] = [...prefs];
  return prefs.size === 1 && only !== null && only !== undefined ? only : 'email';
}
