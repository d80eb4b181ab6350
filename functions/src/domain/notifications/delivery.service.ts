import { createHash } from 'node:crypto';
import {
  Timestamp,
  type DocumentReference,
  type DocumentSnapshot,
  type Firestore,
} from 'firebase-admin/firestore';
import type { Clock } from '../../core/clock';
import type { Logger } from '../../core/logger';
import { applyShape, type QueryShape } from '../../core/query-shape';
import { safeZone } from '../digests/digest-time';
import { DEFAULT_TIMEZONE, DELIVERIES } from '../users/account.service';
import { unregisterDevice, DEVICES, DEVICE_TOKENS, tokenKey } from '../users/devices.service';
import type { NotificationPreferences } from '../users/preferences.schema';
import { resolvePreferences, USERS } from '../users/preferences.service';
import { isAlreadyExists } from '../workspaces/workspace.service';
import {
  DeliveryError,
  type EmailTemplateData,
  type Mailer,
  type Messenger,
  type NotificationCategory,
  type NotificationIntent,
  type PushContent,
} from './channels';
import {
  CATEGORY_PREFERENCE,
  COALESCED,
  channelAllowed,
  quietHoursEnd,
  retryDelayMs,
  type Channel,
} from './delivery-policy';
import { renderEmail } from './email-templates';
import { addInboxItem } from './inbox.service';
import { isSuppressed } from './suppressions';
import type { NotificationSettings } from './settings';
import { unsubscribeLinks, type UnsubscribeScope } from './unsubscribe';

/**
 * The notification engine: one {@link NotificationIntent} → an inbox item, a push and an email,
 * each exactly once per intent key, each obeying the recipient's preferences, with push held in
 * quiet hours, bursts about one task coalesced into one message, and failures retried with backoff
 * from a delivery record that says what happened (SPEC §4 "delivery records", §7).
 *
 * A delivery record `deliveries/{channel}_{hash(intent key)}` is created with `create()`, so a
 * redelivered trigger event finds it and does nothing. It is sent at once when nothing holds it
 * (the creation is the claim), or later by {@link releaseDueDeliveries}, which claims each attempt
 * by creating `deliveries/{id}/claims/v{version}` — the one atomic claim every Firestore we run
 * against enforces (SPEC §10) — so overlapping releasers never send one record twice.
 */

export { DELIVERIES };
export const CLAIMS = 'claims';
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

export interface DeliveryDoc {
  channel: Channel;
  recipientId: string;
  category: NotificationCategory;
  groupKey: string;
  intentKey: string;
  status: DeliveryStatus;
  dueAt: Timestamp;
  heldReason: HeldReason;
  attempts: number;
  /** Bumped whenever the record is rescheduled; names the claim of the next attempt. */
  version: number;
  /** Set while an inline send owns the record (status `sending`). */
  leaseUntil: Timestamp | null;
  content: StoredContent;
  createdAt: Timestamp;
  updatedAt: Timestamp;
  sentAt: Timestamp | null;
  finishedAt: Timestamp | null;
  expireAt: Timestamp | null;
  lastError: { kind: string; code: string; message: string } | null;
  providerMessageId: string | null;
  /** Records folded into another one's message name it here. */
  coalescedInto: string | null;
  /** On the record that carried a coalesced message: how many it summed up. */
  coalescedCount: number;
  skipReason: string | null;
  push: { tokens: number; sent: number; failed: number; pruned: number } | null;
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
}

/** The engine's deps from an operation's or trigger's deps and its logger. */
export function notifierDeps(
  deps: {
    db: Firestore;
    clock: Clock;
    messenger: Messenger;
    mailer: Mailer;
    notifications: NotificationSettings;
  },
  logger: Logger,
): NotifierDeps {
  const { db, clock, messenger, mailer, notifications } = deps;
  return { db, clock, logger, messenger, mailer, settings: notifications };
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

export const BURST_QUERY: QueryShape = {
  collection: DELIVERIES,
  equals: ['recipientId', 'channel', 'groupKey', 'status'],
  orderBy: [['createdAt', 'asc']],
};

// ------------------------------------------------------------------------------------------------
// Ids

function hash(text: string, length = 40): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/** The inbox item of an intent: a redelivered intent finds it already there. */
export function inboxIdFor(intentKey: string): string {
  return `n_${hash(intentKey)}`;
}

export function deliveryIdFor(intentKey: string, channel: Channel): string {
  return `${channel}_${hash(intentKey)}`;
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
  return {
    uid: snap.id,
    exists: snap.exists,
    email: str(data.email),
    name: str(data.name),
    // An unknown zone (a profile written around the API) is read as UTC, not thrown on later.
    timezone: str(data.timezone) === null ? DEFAULT_TIMEZONE : safeZone(data.timezone),
    locale: str(data.locale),
    prefs: resolvePreferences(data.notificationPreferences),
  };
}

// ------------------------------------------------------------------------------------------------
// Enqueue

function storedContent(intent: NotificationIntent): StoredContent {
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

/**
 * Delivers one intent: the inbox item, then push and email as the recipient's preferences allow.
 * Safe to call again with the same intent (a redelivered event): nothing is written or sent twice.
 * A push or email is sent before this returns unless coalescing or quiet hours hold it (`held`);
 * {@link releaseDueDeliveries} sends held ones when they are due.
 */
export async function deliverNotification(
  deps: NotifierDeps,
  intent: NotificationIntent,
  preloaded?: Recipient,
): Promise<DeliverResult> {
  const { db, clock } = deps;
  const inboxId = inboxIdFor(intent.key);
  const recipient = preloaded ?? (await loadRecipient(db, intent.recipientId));
  const wants = { inbox: true, push: true, email: true, ...intent.channels };
  if (!recipient.exists) {
    deps.logger.info('Notification recipient has no profile; nothing delivered', {
      recipientId: intent.recipientId,
      category: intent.category,
    });
    return { inbox: 'skipped:no_user', inboxId, push: 'skipped:no_user', email: 'skipped:no_user' };
  }

  let inbox: DeliverResult['inbox'] = 'off';
  if (wants.inbox) {
    const res = await addInboxItem(
      db,
      clock,
      recipient.uid,
      {
        type: intent.category,
        title: intent.title,
        body: intent.body,
        taskId: intent.taskId ?? null,
        projectId: intent.projectId ?? null,
        groupKey: intent.groupKey,
      },
      inboxId,
    );
    inbox = res.created ? 'created' : 'duplicate';
  }

  const [push, email] = await Promise.all(
    (['push', 'email'] as const).map((channel) =>
      wants[channel] ? enqueue(deps, intent, recipient, channel) : Promise.resolve('off' as const),
    ),
  );
  return { inbox, inboxId, push: push ?? 'off', email: email ?? 'off' };
}

async function enqueue(
  deps: NotifierDeps,
  intent: NotificationIntent,
  recipient: Recipient,
  channel: Channel,
): Promise<ChannelOutcome> {
  const decision = channelAllowed(recipient.prefs, intent.category, channel);
  if (!decision.send) return `skipped:${decision.reason}`;
  if (channel === 'email' && recipient.email === null) return 'skipped:no_email';

  const now = deps.clock.now();
  const windowMs = COALESCED.has(intent.category) ? deps.settings.coalesceWindowSeconds * 1000 : 0;
  let dueAt = new Date(now.getTime() + windowMs);
  let heldReason: HeldReason = windowMs > 0 ? 'coalescing' : null;
  if (channel === 'push') {
    const quietEnd = quietHoursEnd(recipient.prefs.quietHours, recipient.timezone, dueAt);
    if (quietEnd !== null) {
      dueAt = quietEnd;
      heldReason = 'quiet_hours';
    }
  }
  const immediate = dueAt.getTime() <= now.getTime();
  const ts = Timestamp.fromDate(now);
  const doc: DeliveryDoc = {
    channel,
    recipientId: recipient.uid,
    category: intent.category,
    groupKey: intent.groupKey,
    intentKey: intent.key,
    status: immediate ? 'sending' : 'pending',
    dueAt: Timestamp.fromDate(dueAt),
    heldReason: immediate ? null : heldReason,
    attempts: 0,
    version: 0,
    leaseUntil: immediate ? Timestamp.fromMillis(now.getTime() + LEASE_MS) : null,
    content: storedContent(intent),
    createdAt: ts,
    updatedAt: ts,
    sentAt: null,
    finishedAt: null,
    expireAt: null,
    lastError: null,
    providerMessageId: null,
    coalescedInto: null,
    coalescedCount: 1,
    skipReason: null,
    push: null,
  };
  const ref = deps.db.collection(DELIVERIES).doc(deliveryIdFor(intent.key, channel));
  try {
    await ref.create(doc);
  } catch (e) {
    if (isAlreadyExists(e)) return 'duplicate';
    throw e;
  }
  if (!immediate) return 'held';
  return attempt(deps, [{ ref, doc }], recipient);
}

// ------------------------------------------------------------------------------------------------
// Release (scheduled)

export interface ReleaseReport {
  due: number;
  recovered: number;
  groups: number;
  sent: number;
  held: number;
  retrying: number;
  failed: number;
  skipped: number;
  /** Records claimed by another releaser meanwhile. */
  contended: number;
  documentsRead: number;
}

interface Member {
  ref: DocumentReference;
  doc: DeliveryDoc;
}

/**
 * Sends what is due: held pushes whose quiet hours ended, coalesced bursts whose window closed,
 * retries whose backoff elapsed; and gives records whose inline send died (lease expired) another
 * attempt. Reads only due records (indexed range queries, `limit` each). Overlapping runs are
 * safe: each attempt is claimed with `create()`.
 */
export async function releaseDueDeliveries(
  deps: NotifierDeps,
  options: { limit?: number; concurrency?: number } = {},
): Promise<ReleaseReport> {
  const limit = options.limit ?? 200;
  const { db, clock } = deps;
  const now = clock.now();
  const until = { to: Timestamp.fromMillis(now.getTime() + 1) };
  const report: ReleaseReport = {
    due: 0,
    recovered: 0,
    groups: 0,
    sent: 0,
    held: 0,
    retrying: 0,
    failed: 0,
    skipped: 0,
    contended: 0,
    documentsRead: 0,
  };

  const stuck = await applyShape(db.collection(DELIVERIES), STUCK_DELIVERIES_QUERY, {
    equals: { status: 'sending' },
    range: until,
  })
    .limit(limit)
    .get();
  report.documentsRead += Math.max(1, stuck.size);
  for (const snap of stuck.docs) {
    await rescheduleAfterLostAttempt(deps, { ref: snap.ref, doc: snap.data() as DeliveryDoc });
    report.recovered++;
  }

  const due = await applyShape(db.collection(DELIVERIES), DUE_DELIVERIES_QUERY, {
    equals: { status: 'pending' },
    range: until,
  })
    .limit(limit)
    .get();
  report.documentsRead += Math.max(1, due.size);
  report.due = due.size;

  // One group per (recipient, channel, groupKey): a burst goes out as one message.
  const seeds = new Map<string, Member>();
  for (const snap of due.docs) {
    const doc = snap.data() as DeliveryDoc;
    const key = `${doc.recipientId}\n${doc.channel}\n${doc.groupKey}`;
    if (!seeds.has(key)) seeds.set(key, { ref: snap.ref, doc });
  }
  report.groups = seeds.size;
  const queue = [...seeds.values()];
  const workers = Array.from({ length: Math.min(options.concurrency ?? 8, queue.length) }, () =>
    (async () => {
      for (let seed = queue.shift(); seed !== undefined; seed = queue.shift()) {
        const { outcome, read, contended } = await releaseGroup(deps, seed);
        report.documentsRead += read;
        report.contended += contended;
        if (outcome === 'sent') report.sent++;
        else if (outcome === 'held') report.held++;
        else if (outcome === 'retrying') report.retrying++;
        else if (outcome === 'failed') report.failed++;
        else if (outcome !== 'duplicate') report.skipped++;
      }
    })(),
  );
  await Promise.all(workers);
  return report;
}

async function releaseGroup(
  deps: NotifierDeps,
  seed: Member,
): Promise<{ outcome: ChannelOutcome; read: number; contended: number }> {
  const { db } = deps;
  let read = 0;
  let members: Member[] = [seed];
  if (COALESCED.has(seed.doc.category)) {
    const burst = await applyShape(db.collection(DELIVERIES), BURST_QUERY, {
      equals: {
        recipientId: seed.doc.recipientId,
        channel: seed.doc.channel,
        groupKey: seed.doc.groupKey,
        status: 'pending',
      },
    })
      .limit(MAX_COALESCED)
      .get();
    read += Math.max(1, burst.size);
    members = burst.docs.map((s) => ({ ref: s.ref, doc: s.data() as DeliveryDoc }));
    if (!members.some((m) => m.ref.id === seed.ref.id)) members.unshift(seed);
  }

  const claimed: Member[] = [];
  let contended = 0;
  for (const m of members) {
    const claim = await claimAttempt(deps, m);
    read += claim.read;
    if (claim.ok) claimed.push(m);
    else contended++;
  }
  if (claimed.length === 0) return { outcome: 'duplicate', read, contended };
  const recipient = await loadRecipient(db, seed.doc.recipientId);
  read += 1;
  const outcome = await attempt(deps, claimed, recipient);
  return { outcome, read, contended };
}

/**
 * Claims the next attempt of a pending record by creating `claims/v{version}`. A claim left by a
 * releaser that died (older than the lease) is superseded: the record moves to the next version
 * and the next run claims that.
 */
async function claimAttempt(deps: NotifierDeps, m: Member): Promise<{ ok: boolean; read: number }> {
  const now = deps.clock.now();
  const claimRef = m.ref.collection(CLAIMS).doc(`v${m.doc.version}`);
  try {
    await claimRef.create({ claimedAt: Timestamp.fromDate(now), attempt: m.doc.attempts + 1 });
    return { ok: true, read: 0 };
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
  }
  const claim = await claimRef.get();
  const claimedAt = claim.get('claimedAt') as Timestamp | undefined;
  if (claimedAt !== undefined && now.getTime() - claimedAt.toMillis() >= LEASE_MS) {
    await rescheduleAfterLostAttempt(deps, m);
  }
  return { ok: false, read: 1 };
}

async function rescheduleAfterLostAttempt(deps: NotifierDeps, m: Member): Promise<void> {
  const error = new DeliveryError(
    'transient',
    'lease_expired',
    'The attempt did not finish in time (instance lost?)',
  );
  await settleFailure(deps, [m], error);
}

// ------------------------------------------------------------------------------------------------
// One attempt

/**
 * Sends the claimed records of one group as one message, or holds/skips/fails them, and records
 * the outcome on every record. Preferences and quiet hours are read again here: they may have
 * changed while the message was held.
 */
async function attempt(
  deps: NotifierDeps,
  members: Member[],
  recipient: Recipient,
): Promise<ChannelOutcome> {
  const first = members[0];
  if (first === undefined) return 'duplicate';
  const { channel, category } = first.doc;
  const log = deps.logger.child({
    recipientId: recipient.uid,
    channel,
    category,
    deliveryId: first.ref.id,
  });
  try {
    if (!recipient.exists) return await finishSkipped(deps, members, 'no_user');
    const decision = channelAllowed(recipient.prefs, category, channel);
    if (!decision.send) return await finishSkipped(deps, members, decision.reason);

    const now = deps.clock.now();
    if (channel === 'push') {
      const quietEnd = quietHoursEnd(recipient.prefs.quietHours, recipient.timezone, now);
      if (quietEnd !== null) {
        await reschedule(deps, members, quietEnd, 'quiet_hours', null, false);
        log.info('Push held for quiet hours', { releaseAt: quietEnd.toISOString() });
        return 'held';
      }
      return await sendPush(deps, members, recipient, log);
    }
    if (recipient.email === null) return await finishSkipped(deps, members, 'no_email');
    const suppression = await isSuppressed(deps.db, recipient.email);
    if (suppression.suppressed)
      return await finishSkipped(deps, members, `suppressed_${suppression.reason ?? 'email'}`);
    return await sendEmail(deps, members, recipient);
  } catch (e) {
    const error =
      e instanceof DeliveryError
        ? e
        : new DeliveryError('transient', 'internal', e instanceof Error ? e.message : String(e));
    if (!(e instanceof DeliveryError))
      log.error('Delivery attempt crashed', { error: error.message });
    return settleFailure(deps, members, error, log);
  }
}

/** Oldest first: the first record carries the message, the others are folded into it. */
function ordered(members: Member[]): Member[] {
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
function unsubscribeScope(members: readonly DeliveryDoc[]): UnsubscribeScope {
  const prefs = new Set(members.map((m) => CATEGORY_PREFERENCE[m.category]));
  const [only] = [...prefs];
  return prefs.size === 1 && only !== null && only !== undefined ? only : 'email';
}

async function pushTargets(
  deps: NotifierDeps,
  recipient: Recipient,
): Promise<{ tokens: string[]; foreign: number }> {
  const { db } = deps;
  const devices = await db
    .collection(USERS)
    .doc(recipient.uid)
    .collection(DEVICES)
    .limit(MAX_DEVICES)
    .get();
  const byToken = new Map<string, string>();
  for (const d of devices.docs) {
    const token = d.get('token') as unknown;
    if (typeof token === 'string' && token !== '') byToken.set(token, d.id);
  }
  if (byToken.size === 0) return { tokens: [], foreign: 0 };
  // The token index names each token's one owner. A device the app wrote directly may hold a token
  // that has since moved to another account on the same phone: that copy is stale; drop it so
  // this user's notifications never reach the other person.
  const tokens = [...byToken.keys()];
  const owners = await db.getAll(
    ...tokens.map((t) => db.collection(DEVICE_TOKENS).doc(tokenKey(t))),
  );
  const mine: string[] = [];
  let foreign = 0;
  await Promise.all(
    tokens.map(async (token, i) => {
      const owner = owners[i]?.get('uid') as unknown;
      if (typeof owner === 'string' && owner !== recipient.uid) {
        foreign++;
        const deviceId = byToken.get(token);
        if (deviceId !== undefined)
          await db.collection(USERS).doc(recipient.uid).collection(DEVICES).doc(deviceId).delete();
        return;
      }
      mine.push(token);
    }),
  );
  return { tokens: mine, foreign };
}

async function sendPush(
  deps: NotifierDeps,
  members: Member[],
  recipient: Recipient,
  log: Logger,
): Promise<ChannelOutcome> {
  const sorted = ordered(members);
  const { tokens } = await pushTargets(deps, recipient);
  if (tokens.length === 0) return finishSkipped(deps, members, 'no_devices');
  const content = composePush(sorted.map((m) => m.doc));
  const results = await deps.messenger.sendToTokens(tokens, content);

  let sent = 0;
  let firstId: string | null = null;
  const dead: string[] = [];
  const errors: DeliveryError[] = [];
  for (const r of results) {
    if (r.ok) {
      sent++;
      firstId ??= r.messageId;
    } else if (r.error.kind === 'unregistered') dead.push(r.token);
    else errors.push(r.error);
  }
  await Promise.all(dead.map((token) => unregisterDevice(deps.db, recipient.uid, { token })));
  if (dead.length > 0) log.info('Pruned unregistered push tokens', { pruned: dead.length });
  const stats = { tokens: tokens.length, sent, failed: results.length - sent, pruned: dead.length };

  if (sent > 0) {
    if (errors.length > 0)
      log.warn('Push reached some devices, not all', {
        ...stats,
        errors: errors.map((e) => e.code),
      });
    return finishSent(deps, sorted, firstId, { push: stats });
  }
  const [firstError] = errors;
  if (firstError === undefined) return finishSkipped(deps, members, 'no_devices', { push: stats });
  // Retry if any device failed transiently; otherwise the failure is permanent.
  throw errors.find((e) => e.kind === 'transient') ?? firstError;
}

async function sendEmail(
  deps: NotifierDeps,
  members: Member[],
  recipient: Recipient,
): Promise<ChannelOutcome> {
  const sorted = ordered(members);
  const docs = sorted.map((m) => m.doc);
  const { settings, clock } = deps;
  const links = unsubscribeLinks(settings, clock, {
    uid: recipient.uid,
    scope: unsubscribeScope(docs),
  });
  const rendered = renderEmail(composeEmailData(docs), {
    recipientName: recipient.name ?? undefined,
    unsubscribeUrl: links.url,
    preferencesUrl: links.preferencesUrl,
    appUrl: settings.publicBaseUrl,
    timeZone: recipient.timezone,
    locale: recipient.locale ?? undefined,
    now: clock.now(),
  });
  const leader = sorted[0];
  const { messageId } = await deps.mailer.send({
    ...rendered,
    to: recipient.email ?? '',
    toName: recipient.name ?? undefined,
    headers: links.headers,
    category: docs[docs.length - 1]?.category ?? 'notification',
    customArgs: { deliveryId: leader?.ref.id ?? '', userId: recipient.uid },
  });
  return finishSent(deps, sorted, messageId, {});
}

// ------------------------------------------------------------------------------------------------
// Recording outcomes

function finished(now: Date) {
  return {
    updatedAt: Timestamp.fromDate(now),
    finishedAt: Timestamp.fromDate(now),
    expireAt: Timestamp.fromMillis(now.getTime() + FINISHED_RETENTION_DAYS * 86_400_000),
    leaseUntil: null,
  };
}

async function finishSent(
  deps: NotifierDeps,
  sorted: Member[],
  providerMessageId: string | null,
  extra: Partial<DeliveryDoc>,
): Promise<ChannelOutcome> {
  const now = deps.clock.now();
  const batch = deps.db.batch();
  const [leader, ...folded] = sorted;
  if (leader === undefined) return 'duplicate';
  batch.update(leader.ref, {
    ...extra,
    ...finished(now),
    status: 'sent',
    heldReason: null,
    sentAt: Timestamp.fromDate(now),
    attempts: leader.doc.attempts + 1,
    providerMessageId,
    coalescedCount: sorted.length,
    lastError: null,
  });
  for (const m of folded) {
    batch.update(m.ref, {
      ...finished(now),
      status: 'sent',
      heldReason: null,
      sentAt: Timestamp.fromDate(now),
      attempts: m.doc.attempts + 1,
      providerMessageId,
      coalescedInto: leader.ref.id,
    });
  }
  await batch.commit();
  return 'sent';
}

async function finishSkipped(
  deps: NotifierDeps,
  members: Member[],
  reason: string,
  extra: Partial<DeliveryDoc> = {},
): Promise<ChannelOutcome> {
  const now = deps.clock.now();
  const batch = deps.db.batch();
  for (const m of members)
    batch.update(m.ref, { ...extra, ...finished(now), status: 'skipped', skipReason: reason });
  await batch.commit();
  return `skipped:${reason}`;
}

/** Moves records to a new version due at `dueAt` (the next attempt is claimed under it). */
async function reschedule(
  deps: NotifierDeps,
  members: Member[],
  dueAt: Date,
  heldReason: HeldReason,
  error: DeliveryError | null,
  countAttempt: boolean,
): Promise<void> {
  const now = deps.clock.now();
  const batch = deps.db.batch();
  for (const m of members) {
    batch.update(m.ref, {
      status: 'pending',
      dueAt: Timestamp.fromDate(dueAt),
      heldReason,
      version: m.doc.version + 1,
      attempts: m.doc.attempts + (countAttempt ? 1 : 0),
      leaseUntil: null,
      updatedAt: Timestamp.fromDate(now),
      ...(error === null
        ? {}
        : { lastError: { kind: error.kind, code: error.code, message: error.message } }),
    });
  }
  await batch.commit();
}

/**
 * A failed attempt: transient failures are retried with backoff until the attempt limit, then
 * recorded as failed; permanent ones are recorded as failed at once. Every failure is logged.
 */
async function settleFailure(
  deps: NotifierDeps,
  members: Member[],
  error: DeliveryError,
  log: Logger = deps.logger,
): Promise<ChannelOutcome> {
  const first = members[0];
  if (first === undefined) return 'failed';
  const attempts = first.doc.attempts + 1;
  const fields = {
    deliveryId: first.ref.id,
    recipientId: first.doc.recipientId,
    channel: first.doc.channel,
    attempts,
    code: error.code,
    kind: error.kind,
    error: error.message,
  };
  if (error.kind === 'transient' && attempts < deps.settings.maxDeliveryAttempts) {
    const retryAt = new Date(deps.clock.now().getTime() + retryDelayMs(attempts, first.ref.id));
    await reschedule(deps, members, retryAt, 'retry', error, true);
    log.warn('Delivery failed; will retry', { ...fields, retryAt: retryAt.toISOString() });
    return 'retrying';
  }
  const now = deps.clock.now();
  const batch = deps.db.batch();
  for (const m of members) {
    batch.update(m.ref, {
      ...finished(now),
      status: 'failed',
      attempts: m.doc.attempts + 1,
      lastError: { kind: error.kind, code: error.code, message: error.message },
    });
  }
  await batch.commit();
  log.error('Delivery failed permanently', fields);
  return 'failed';
}
