import {
  DocumentReference,
  FieldPath,
  GeoPoint,
  Timestamp,
  type DocumentData,
  type Firestore,
  type Query,
  type QueryDocumentSnapshot,
} from 'firebase-admin/firestore';
import type { Clock } from '../../core/clock';
import { AppError } from '../../core/errors';
import { applyShape } from '../../core/query-shape';
import { suppressionKey } from '../notifications/suppression-keys';
import {
  USER_EXPORT_FORMAT,
  exportedProjectSchema,
  exportedTaskSchema,
  exportedWorkspaceSchema,
  storedDocSchema,
  userExportSchema,
  type ExportCounts,
  type ExportedTask,
  type StoredDoc,
  type UserExport,
} from './export.schema';
import { resolvePreferences } from './preferences.service';
import {
  USERS,
  DEVICES,
  NOTIFICATIONS,
  WORKSPACES,
  PROJECTS,
  TASKS,
  ACTIVITY,
  USER_STATS,
  USER_STATS_DAYS,
  DELIVERIES,
  EMAIL_SUPPRESSIONS,
} from '../../storage/collections';
import {
  ACTIVITY_OF_USER_QUERY,
  DELIVERIES_TO_QUERY,
  EXPORT_PAGE_SIZE,
  CALLABLE_EXPORT_MAX_BYTES,
  JsonObjectWriter,
  TASKS_ASSIGNED_TO_QUERY,
  TASKS_CREATED_BY_QUERY,
  exportedRole,
  memberOf,
  taskExportScope,
  type ChunkSink,
} from './export-plan';

/**
 * A user's data export, read and written: every collection that holds their data, paged, each
 * page written before the next is read. Documents are exported as stored (raw, unknown fields
 * included), so reads here are deliberately untyped; values go through {@link toJsonValue}.
 */

/**
 * A Firestore value as JSON: Timestamps as ISO-8601 strings (UTC, millisecond precision),
 * references as their path, bytes as base64, geo points as `{latitude, longitude}`; maps and
 * arrays recursively. Non-finite numbers become strings, which JSON cannot hold otherwise.
 */
export function toJsonValue(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Timestamp) return value.toDate().toISOString();
  if (value instanceof Date) return value.toISOString();
  if (value instanceof GeoPoint) return { latitude: value.latitude, longitude: value.longitude };
  if (value instanceof DocumentReference) return value.path;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJsonValue(v)]));
  }
  // Symbols and functions cannot come out of Firestore.
  return null;
}

function jsonData(data: DocumentData): Record<string, unknown> {
  return toJsonValue(data) as Record<string, unknown>;
}

function storedDoc(doc: QueryDocumentSnapshot): StoredDoc {
  return { id: doc.id, data: jsonData(doc.data()) };
}

/**
 * A device as exported: an FCM token addresses a push to that phone, so the file (downloaded,
 * perhaps mailed around) carries only its last 6 characters — enough for the user to recognise
 * it, useless to anyone else.
 */
function exportedDevice(doc: QueryDocumentSnapshot): StoredDoc {
  const { token, ...rest } = doc.data();
  const data = jsonData(rest);
  if (typeof token === 'string') data.tokenLast6 = token.slice(-6);
  return { id: doc.id, data };
}

/** The documents of `query` in pages of `pageSize`, in document-id order (a stable cursor). */
async function* pagesOf(
  query: Query,
  pageSize: number,
): AsyncGenerator<QueryDocumentSnapshot[], void, undefined> {
  const ordered = query.orderBy(FieldPath.documentId());
  let page = ordered.limit(pageSize);
  for (;;) {
    const snap = await page.get();
    if (snap.empty) return;
    yield snap.docs;
    const last = snap.docs[snap.docs.length - 1];
    if (snap.size < pageSize || last === undefined) return;
    page = ordered.startAfter(last.id).limit(pageSize);
  }
}

async function* mapPages<T>(
  pages: AsyncIterable<QueryDocumentSnapshot[]>,
  convert: (doc: QueryDocumentSnapshot) => T | null,
): AsyncGenerator<T[], void, undefined> {
  for await (const docs of pages) {
    yield docs.map(convert).filter((item): item is T => item !== null);
  }
}

export interface ExportOptions {
  /** Documents per query page (1–1000). */
  pageSize?: number;
}

/**
 * Writes everything stored about `userId` as one JSON document (format {@link USER_EXPORT_FORMAT},
 * members in the order of {@link userExportSchema}) to `sink`, and returns how many documents of
 * each kind it wrote.
 *
 * What is in it: the profile and effective preferences, devices (tokens cut to their last 6
 * characters), the inbox, activity events, the statistics documents, the tasks the user created or
 * is assigned (soft-deleted included; a task that is both appears once), the workspaces and
 * projects they belong to (with their own role, never the member lists), the push and email
 * delivery records addressed to them and the suppression record of their email address (their
 * unsubscribes are part of the profile). Nothing of another user's profile.
 *
 * Every collection is read in pages of `pageSize` documents by document id, and each page is
 * written before the next is read, so memory stays bounded whatever the history; `sink` applies
 * backpressure. A user with no data gets a document with empty sections.
 */
export async function writeUserExport(
  db: Firestore,
  clock: Clock,
  userId: string,
  sink: ChunkSink,
  options: ExportOptions = {},
): Promise<ExportCounts> {
  const { pageSize = EXPORT_PAGE_SIZE } = options;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) {
    throw new RangeError('pageSize must be an integer from 1 to 1000');
  }
  const userRef = db.collection(USERS).doc(userId);
  const statsRef = db.collection(USER_STATS).doc(userId);
  const pages = (query: Query) => pagesOf(query, pageSize);
  const docs = (query: Query) => mapPages(pages(query), storedDoc);

  const [profileSnap, statsSnap] = await Promise.all([userRef.get(), statsRef.get()]);
  const profile = profileSnap.exists ? jsonData(profileSnap.data() ?? {}) : null;
  const email: unknown = profileSnap.get('email');

  const out = new JsonObjectWriter(sink);
  await out.open();
  await out.member('format', USER_EXPORT_FORMAT);
  await out.member('userId', userId);
  await out.member('generatedAt', clock.now().toISOString());
  await out.member('profile', profile);
  await out.member('preferences', resolvePreferences(profileSnap.get('notificationPreferences')));

  const devices = await out.array(
    'devices',
    storedDocSchema,
    mapPages(pages(userRef.collection(DEVICES)), exportedDevice),
  );
  const notifications = await out.array(
    'notifications',
    storedDocSchema,
    docs(userRef.collection(NOTIFICATIONS)),
  );
  const activity = await out.array(
    'activity',
    storedDocSchema,
    docs(applyShape(db.collection(ACTIVITY), ACTIVITY_OF_USER_QUERY, { equals: { userId } })),
  );
  await out.member('statistics', statsSnap.exists ? jsonData(statsSnap.data() ?? {}) : null);
  const statisticsDays = await out.array(
    'statisticsDays',
    storedDocSchema,
    docs(statsRef.collection(USER_STATS_DAYS)),
  );

  // Created ones first; an assigned one the user also created was written then, so it is skipped.
  const tasks = await out.array('tasks', exportedTaskSchema, tasksOf(db, userId, pages));

  const workspaces = await out.array(
    'workspaces',
    exportedWorkspaceSchema,
    mapPages(
      pages(
        applyShape(db.collection(WORKSPACES), memberOf(WORKSPACES), {
          equals: {},
          arrayContains: userId,
        }),
      ),
      (d) => ({
        id: d.id,
        name: String(d.get('name') ?? ''),
        description: String(d.get('description') ?? ''),
        role: exportedRole(d.get('roles'), userId),
        createdAt: toIso(d.get('createdAt')),
      }),
    ),
  );
  const projects = await out.array(
    'projects',
    exportedProjectSchema,
    mapPages(
      pages(
        applyShape(db.collection(PROJECTS), memberOf(PROJECTS), {
          equals: {},
          arrayContains: userId,
        }),
      ),
      (d) => ({
        id: d.id,
        name: String(d.get('name') ?? ''),
        description: String(d.get('description') ?? ''),
        workspaceId: String(d.get('workspaceId') ?? ''),
        owner: d.get('ownerId') === userId,
        createdAt: toIso(d.get('createdAt')),
      }),
    ),
  );
  const deliveries = await out.array(
    'deliveries',
    storedDocSchema,
    docs(
      applyShape(db.collection(DELIVERIES), DELIVERIES_TO_QUERY, {
        equals: { recipientId: userId },
      }),
    ),
  );
  let suppression: StoredDoc | null = null;
  if (typeof email === 'string' && email.trim() !== '') {
    const snap = await db.collection(EMAIL_SUPPRESSIONS).doc(suppressionKey(email)).get();
    if (snap.exists) suppression = { id: snap.id, data: jsonData(snap.data() ?? {}) };
  }
  await out.member('emailSuppression', suppression);

  const counts: ExportCounts = {
    devices,
    notifications,
    activity,
    statisticsDays,
    tasks,
    workspaces,
    projects,
    deliveries,
  };
  await out.member('counts', counts);
  await out.close();
  return counts;
}

function toIso(value: unknown): string | null {
  return value instanceof Timestamp ? value.toDate().toISOString() : null;
}

/** A task as exported: in full or only its authorship ({@link taskExportScope}). */
function exportedTask(
  doc: QueryDocumentSnapshot,
  userId: string,
  projectsNow: ReadonlySet<string>,
): ExportedTask {
  const data: Record<string, unknown> = doc.data();
  const { relation, scope } = taskExportScope(data, userId, projectsNow);
  if (scope === 'full') return { id: doc.id, relation, scope, data: jsonData(data) };
  const { projectId, createdBy, createdAt } = data;
  return { id: doc.id, relation, scope, data: jsonData({ projectId, createdBy, createdAt }) };
}

async function* tasksOf(
  db: Firestore,
  userId: string,
  pages: (query: Query) => AsyncGenerator<QueryDocumentSnapshot[], void, undefined>,
): AsyncGenerator<ExportedTask[], void, undefined> {
  // The projects the user belongs to now (ids only; a user has far fewer projects than tasks).
  const projectsNow = new Set<string>();
  for await (const page of pages(
    applyShape(db.collection(PROJECTS), memberOf(PROJECTS), { equals: {}, arrayContains: userId }),
  )) {
    for (const d of page) projectsNow.add(d.id);
  }
  const tasks = db.collection(TASKS);
  yield* mapPages(
    pages(applyShape(tasks, TASKS_CREATED_BY_QUERY, { equals: { createdBy: userId } })),
    (d) => exportedTask(d, userId, projectsNow),
  );
  yield* mapPages(
    pages(applyShape(tasks, TASKS_ASSIGNED_TO_QUERY, { equals: { assigneeId: userId } })),
    (d) => (d.get('createdBy') === userId ? null : exportedTask(d, userId, projectsNow)),
  );
}

/**
 * The export as one object, for the callable door: built by the same writer as the REST stream,
 * and abandoned (FAILED_PRECONDITION, naming the REST route) as soon as it grows past `maxBytes`,
 * so a large history never sits whole in the function's memory.
 */
export async function collectUserExport(
  db: Firestore,
  clock: Clock,
  userId: string,
  options: ExportOptions & { maxBytes?: number } = {},
): Promise<UserExport> {
  const { maxBytes = CALLABLE_EXPORT_MAX_BYTES, ...rest } = options;
  const chunks: string[] = [];
  let bytes = 0;
  await writeUserExport(
    db,
    clock,
    userId,
    (chunk) => {
      bytes += Buffer.byteLength(chunk);
      if (bytes > maxBytes) {
        throw new AppError(
          'FAILED_PRECONDITION',
          `The export is larger than ${maxBytes} bytes: download it from ` +
            `GET /api/users/${userId}/export, which streams it`,
          { maxBytes, restPath: `/api/users/${encodeURIComponent(userId)}/export` },
        );
      }
      chunks.push(chunk);
      return Promise.resolve();
    },
    rest,
  );
  return userExportSchema.parse(JSON.parse(chunks.join('')));
}
