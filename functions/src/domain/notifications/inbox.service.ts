import { decodeTimestampCursor, encodeTimestampCursor } from '../../storage/cursor';
import { Timestamp, type Firestore, type Query } from 'firebase-admin/firestore';
import type { Clock } from '../../core/clock';
import { AppError } from '../../core/errors';
import { applyShape, type QueryShape } from '../../core/query-shape';
import { iso } from '../shared.schema';
import { type NewInboxItem, type Notification, type NotificationDoc } from './inbox.schema';
import { NOTIFICATIONS } from '../../storage/collections';
import { isAlreadyExists } from '../../storage/already-exists';
import { inboxDocs } from '../../storage/refs';

/** The whole inbox, newest first (automatic single-field index on `createdAt`). */
export const INBOX_QUERY: QueryShape = {
  collection: NOTIFICATIONS,
  equals: [],
  orderBy: [['createdAt', 'desc']],
};
/** The unread tab, newest first (composite index `read ASC, createdAt DESC`). */
export const UNREAD_INBOX_QUERY: QueryShape = {
  collection: NOTIFICATIONS,
  equals: ['read'],
  orderBy: [['createdAt', 'desc']],
};
/** Unread items in any order: the unread count, and the pages of mark-all-read. */
export const UNREAD_QUERY: QueryShape = {
  collection: NOTIFICATIONS,
  equals: ['read'],
  orderBy: [],
};
/** Every item, unordered: the total count. */
export const INBOX_COUNT_QUERY: QueryShape = { collection: NOTIFICATIONS, equals: [], orderBy: [] };

/** Items marked read per batched write by mark-all-read (a batch allows 500 writes). */
export const MARK_ALL_PAGE_SIZE = 400;
/** Ids per bulk delete: one batched write, and a URL that still fits when they come as query. */
export const MAX_BULK_DELETE = 100;
const MAX_BATCH_WRITES = 500;

export function toNotification(id: string, d: NotificationDoc): Notification {
  return {
    id,
    type: d.type,
    title: d.title,
    body: d.body,
    taskId: d.taskId,
    projectId: d.projectId,
    read: d.read,
    groupKey: d.groupKey,
    createdAt: iso(d.createdAt) ?? '',
    // The app may mark an item unread through the SDK (rules allow `read` only), leaving a stale
    // readAt behind; an unread item never reports one.
    readAt: d.read ? iso(d.readAt) : null,
  };
}

function notFound(id: string): AppError {
  return AppError.notFound(`Notification ${id} not found`);
}

/**
 * Puts an item in `uid`'s inbox under a deterministic `id` (e.g. derived from the event that
 * caused it), unread, created now.
 *
 * Idempotent: `create()` is the claim, and ALREADY_EXISTS means an earlier delivery of the same
 * notification already stored it, so a redelivered event yields one item; that earlier item is
 * left untouched (it may have been read since). `created` tells which case happened.
 */
export async function addInboxItem(
  db: Firestore,
  clock: Clock,
  uid: string,
  item: NewInboxItem,
  id: string,
): Promise<{ id: string; created: boolean }> {
  const doc: NotificationDoc = {
    type: item.type,
    title: item.title,
    body: item.body,
    taskId: item.taskId ?? null,
    projectId: item.projectId ?? null,
    read: false,
    groupKey: item.groupKey ?? null,
    createdAt: Timestamp.fromDate(clock.now()),
    readAt: null,
  };
  try {
    await inboxDocs(db, uid).doc(id).create(doc);
    return { id, created: true };
  } catch (e) {
    if (isAlreadyExists(e)) return { id, created: false };
    throw e;
  }
}

async function countOf(query: Query): Promise<number> {
  // An aggregation query: billed per 1000 index entries, no document is read.
  return (await query.count().get()).data().count;
}

function unreadOf(db: Firestore, uid: string): Query {
  return applyShape(inboxDocs(db, uid), UNREAD_QUERY, { equals: { read: false } });
}

export interface NotificationListInput {
  limit: number;
  cursor?: string | undefined;
  unreadOnly: boolean;
}

export interface NotificationPage {
  notifications: Notification[];
  nextCursor: string | null;
  /** Items in the inbox, read or not (whatever `unreadOnly` was). */
  totalCount: number;
  unreadCount: number;
}

/**
 * One page of `uid`'s inbox, newest first (`createdAt desc`, the document id breaking ties), all
 * items or the unread ones only, with the inbox's total and unread counts from `count()`
 * aggregations run alongside the page query. Pass `nextCursor` back as `cursor`: it holds the
 * exact sort value and id of the page's last item, so each item shows up once across pages even
 * while new ones arrive (they sort before the cursor).
 */
export async function listNotifications(
  db: Firestore,
  uid: string,
  input: NotificationListInput,
): Promise<NotificationPage> {
  const inbox = inboxDocs(db, uid);
  let query = input.unreadOnly
    ? applyShape(inbox, UNREAD_INBOX_QUERY, { equals: { read: false } })
    : applyShape(inbox, INBOX_QUERY, { equals: {} });
  if (input.cursor !== undefined) {
    const c = decodeTimestampCursor(input.cursor);
    query = query.startAfter(new Timestamp(c.v[0], c.v[1]), c.id);
  }
  const [snap, totalCount, unreadCount] = await Promise.all([
    // One extra item tells whether there is a next page without another round trip.
    query.limit(input.limit + 1).get(),
    countOf(applyShape(inbox, INBOX_COUNT_QUERY, { equals: {} })),
    countOf(unreadOf(db, uid)),
  ]);
  const docs = snap.docs.slice(0, input.limit);
  const last = docs[docs.length - 1];
  let nextCursor: string | null = null;
  if (snap.size > input.limit && last !== undefined) {
    nextCursor = encodeTimestampCursor(last.data().createdAt, last.id);
  }
  return {
    notifications: docs.map((d) => toNotification(d.id, d.data())),
    nextCursor,
    totalCount,
    unreadCount,
  };
}

/** How many unread items `uid` has (a `count()` aggregation, no document read). */
export function getUnreadCount(db: Firestore, uid: string): Promise<number> {
  return countOf(unreadOf(db, uid));
}

/** One item of `uid`'s own inbox; 404 if there is none with that id (another user's included). */
export async function getNotification(
  db: Firestore,
  uid: string,
  id: string,
): Promise<Notification> {
  const snap = await inboxDocs(db, uid).doc(id).get();
  const data = snap.data();
  if (data === undefined) throw notFound(id);
  return toNotification(id, data);
}

/**
 * Marks one item read (`readAt` = now) or unread (`readAt` cleared); 404 if it is not there.
 * Idempotent: marking a read item read again keeps its first `readAt` and writes nothing.
 */
export async function markNotification(
  db: Firestore,
  clock: Clock,
  uid: string,
  id: string,
  read: boolean,
): Promise<Notification> {
  const ref = inboxDocs(db, uid).doc(id);
  const now = Timestamp.fromDate(clock.now());
  return db.runTransaction(async (tx) => {
    const snap = await tx.get(ref);
    const doc = snap.data();
    if (doc === undefined) throw notFound(id);
    const current = doc.readAt ?? null;
    // An item the app marked read through the SDK has no readAt yet: it gets one now.
    const readAt = read ? (doc.read && current !== null ? current : now) : null;
    if (doc.read !== read || current !== readAt) tx.update(ref, { read, readAt });
    return toNotification(id, { ...doc, read, readAt });
  });
}

/**
 * Marks every unread item of `uid`'s inbox read and returns how many it changed. Works in pages of
 * `pageSize` unread items, each marked with one batched write, until none is left — so an inbox of
 * any size is handled with bounded memory and batches, and an item arriving meanwhile is included.
 */
export async function markAllNotificationsRead(
  db: Firestore,
  clock: Clock,
  uid: string,
  options: { pageSize?: number } = {},
): Promise<number> {
  const { pageSize = MARK_ALL_PAGE_SIZE } = options;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_BATCH_WRITES) {
    throw new RangeError(`pageSize must be an integer from 1 to ${MAX_BATCH_WRITES}`);
  }
  const now = Timestamp.fromDate(clock.now());
  const query = unreadOf(db, uid).limit(pageSize);
  const seen = new Set<string>();
  for (;;) {
    const page = await query.get();
    if (page.empty) break;
    const batch = db.batch();
    for (const d of page.docs) {
      // A marked item must leave the query; if one comes back, stop instead of looping forever.
      if (seen.has(d.id)) throw new Error(`${d.ref.path} is still unread after it was marked`);
      seen.add(d.id);
      batch.update(d.ref, { read: true, readAt: now });
    }
    await batch.commit();
    if (page.size < pageSize) break;
  }
  return seen.size;
}

/** Deletes one item of `uid`'s inbox. Idempotent: `deleted` is false when it was not there. */
export async function deleteNotification(
  db: Firestore,
  uid: string,
  id: string,
): Promise<{ deleted: boolean }> {
  const ref = inboxDocs(db, uid).doc(id);
  return db.runTransaction(async (tx) => {
    const snap = await tx.get(ref);
    if (!snap.exists) return { deleted: false };
    tx.delete(ref);
    return { deleted: true };
  });
}

/**
 * Deletes up to {@link MAX_BULK_DELETE} items of `uid`'s inbox in one batched write and returns how many existed.
 * The items are read first (one `getAll` round trip) so that ids that are not there — already
 * deleted, mistyped, someone else's — are not counted; repeated ids count once.
 */
export async function deleteNotifications(
  db: Firestore,
  uid: string,
  ids: readonly string[],
): Promise<{ deleted: number }> {
  const inbox = inboxDocs(db, uid);
  const refs = [...new Set(ids)].map((id) => inbox.doc(id));
  if (refs.length > MAX_BULK_DELETE) {
    throw AppError.validation([{ field: 'ids', message: `at most ${MAX_BULK_DELETE} ids` }]);
  }
  if (refs.length === 0) return { deleted: 0 };
  const snaps = await db.getAll(...refs);
  const existing = snaps.filter((s) => s.exists);
  if (existing.length > 0) {
    const batch = db.batch();
    for (const s of existing) batch.delete(s.ref);
    await batch.commit();
  }
  return { deleted: existing.length };
}
