import {
  FieldPath,
  FieldValue,
  Timestamp,
  type DocumentData,
  type DocumentSnapshot,
  type Firestore,
  type Query,
  type QueryDocumentSnapshot,
} from 'firebase-admin/firestore';
import type { Clock } from '../../core/clock';
import type { Logger } from '../../core/logger';
import { scheduleUserDigest } from '../digests/digest-schedule.service';
import type { SuppressionCheck } from '../notifications/suppression-check.service';
import { tokenKey } from './devices.service';
import { DEFAULT_PREFERENCES, type NotificationPreferences } from './preferences.schema';
import {
  CLAIMS,
  USERS,
  DEVICES,
  DEVICE_TOKENS,
  NOTIFICATIONS,
  WORKSPACES,
  PROJECTS,
  TASKS,
  ACTIVITY,
  USER_STATS,
  USER_STATS_DAYS,
  DELIVERIES,
} from '../../storage/collections';
import { isAlreadyExists } from '../../storage/already-exists';

export const DEFAULT_PROFILE_NAME = 'TaskFlow user';
export const DEFAULT_TIMEZONE = 'UTC';
export const DEFAULT_LOCALE = 'en';

/** A batched write holds at most 500 operations. */
const MAX_BATCH_WRITES = 500;

/** What the sign-up event tells us about a new account (the Auth `UserRecord`, mapped). */
export interface NewAccount {
  uid: string;
  email?: string | null | undefined;
  /** `false`: Firebase Auth has not verified `email`, so the profile does not take it. */
  emailVerified?: boolean | undefined;
  displayName?: string | null | undefined;
  photoURL?: string | null | undefined;
}

/** The `users/{uid}` document. */
export interface UserProfile {
  name: string;
  email: string | null;
  photoUrl: string | null;
  timezone: string;
  locale: string;
  notificationPreferences: NotificationPreferences;
  createdAt: Timestamp;
  updatedAt: Timestamp;
  /**
   * Server-owned: whether `email` is on the suppression list, settled by the sign-up trigger and
   * kept true by the SendGrid webhook (`notifications/suppression-check.service.ts`).
   */
  suppressionCheck?: SuppressionCheck;
}

function nonBlank(value: string | null | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

/** The display name of a new profile: the Auth display name, else the email's local part. */
export function profileName(account: Pick<NewAccount, 'email' | 'displayName'>): string {
  const email = nonBlank(account.email);
  const at = email?.lastIndexOf('@') ?? -1;
  const local = email === undefined ? undefined : nonBlank(at < 0 ? email : email.slice(0, at));
  return nonBlank(account.displayName) ?? local ?? DEFAULT_PROFILE_NAME;
}

/** The profile a new account starts with. */
export function newUserProfile(account: NewAccount, now: Timestamp): UserProfile {
  return {
    name: profileName(account),
    // Notifications are emailed to the profile's address: an unverified one is not kept (the app,
    // or accepting an invitation, records it once verified).
    email: account.emailVerified === false ? null : (nonBlank(account.email) ?? null),
    photoUrl: nonBlank(account.photoURL) ?? null,
    timezone: DEFAULT_TIMEZONE,
    locale: DEFAULT_LOCALE,
    notificationPreferences: { ...DEFAULT_PREFERENCES },
    createdAt: now,
    updatedAt: now,
  };
}

export interface CreateUserProfileResult {
  /** `true` when this call created the document. */
  created: boolean;
  /** Fields (dotted paths) added to a document that was already there; empty on a redelivery. */
  fieldsAdded: string[];
}

/**
 * Creates `users/{uid}` for a new Auth account, with the default time zone, locale and
 * notification preferences.
 *
 * Safe to run any number of times, and never overwrites anything: the sign-up trigger is
 * delivered at least once, and the app may already have saved preferences (a `set(merge)` that
 * creates a partial document) before the trigger runs. So the document is claimed with
 * `create()`; if it exists, only the fields it lacks are added (preferences key by key), in a
 * transaction so a concurrent save of the same key wins on real Firestore.
 */
export async function createUserProfile(
  db: Firestore,
  clock: Clock,
  account: NewAccount,
): Promise<CreateUserProfileResult> {
  const ref = db.collection(USERS).doc(account.uid);
  const profile = newUserProfile(account, Timestamp.fromDate(clock.now()));
  try {
    await ref.create(profile);
    await scheduleUserDigest(db, clock, account.uid);
    return { created: true, fieldsAdded: [] };
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
  }

  const fieldsAdded = await db.runTransaction(async (tx) => {
    const snap = await tx.get(ref);
    const patch: DocumentData = {};
    const added: string[] = [];
    const { notificationPreferences, ...topLevel } = profile;
    for (const [key, value] of Object.entries(topLevel)) {
      if (snap.get(key) !== undefined) continue;
      patch[key] = value;
      added.push(key);
    }
    const prefs: DocumentData = {};
    for (const [key, value] of Object.entries(notificationPreferences)) {
      if (snap.get(new FieldPath('notificationPreferences', key)) !== undefined) continue;
      prefs[key] = value;
      added.push(`notificationPreferences.${key}`);
    }
    if (Object.keys(prefs).length > 0) patch.notificationPreferences = prefs;
    // A merge writes only the leaves named in `patch`, never a whole map the user already has.
    if (added.length > 0) tx.set(ref, patch, { merge: true });
    return added;
  });
  await scheduleUserDigest(db, clock, account.uid);
  return { created: false, fieldsAdded };
}

export interface DeleteUserDataOptions {
  /** Documents read and written per round trip (1–500); smaller means shorter transactions. */
  batchSize?: number;
}

/** What one run removed or changed; a run that finds nothing left to do returns zeros. */
export interface DeleteUserDataResult {
  devices: number;
  notifications: number;
  tasksUnassigned: number;
  workspaces: number;
  projects: number;
  activity: number;
}

/**
 * Reads `query` page after page and hands each page to `apply` until a page comes back empty;
 * returns how many documents it handled. `apply` must take the documents out of the query (delete
 * them, or change the field it filters on) — which is also what makes a rerun after a crash pick
 * up exactly what is left. A document seen twice means that did not happen; stop rather than loop
 * (and bill reads) until the function times out.
 */
async function drain(
  query: Query,
  apply: (docs: QueryDocumentSnapshot[]) => Promise<void>,
): Promise<number> {
  const seen = new Set<string>();
  for (;;) {
    const page = await query.get();
    if (page.empty) return seen.size;
    for (const doc of page.docs) {
      if (seen.has(doc.ref.path)) {
        throw new Error(`${doc.ref.path} still matches after it was processed`);
      }
      seen.add(doc.ref.path);
    }
    await apply(page.docs);
  }
}

/** Deletes every document of `query`, one batch per page. */
function deleteAll(db: Firestore, query: Query): Promise<number> {
  return drain(query, async (docs) => {
    const batch = db.batch();
    for (const doc of docs) batch.delete(doc.ref);
    await batch.commit();
  });
}

type Roles = Record<string, unknown>;

function rolesOf(workspace: DocumentSnapshot): Roles {
  const roles: unknown = workspace.get('roles');
  return typeof roles === 'object' && roles !== null
    ? Object.fromEntries(Object.entries(roles))
    : {};
}

/** Whether `uid` is the workspace's only owner (role `owner` among its members). */
function isSoleOwner(workspace: DocumentSnapshot, uid: string): boolean {
  const members: unknown = workspace.get('members');
  const roles = rolesOf(workspace);
  if (!Array.isArray(members) || roles[uid] !== 'owner') return false;
  return !members.some((m) => m !== uid && typeof m === 'string' && roles[m] === 'owner');
}

/**
 * Removes a deleted account's personal data and detaches it from shared data: its devices (and
 * their `deviceTokens` index entries), inbox, activity and stats and its profile are deleted; the
 * tasks assigned to it become unassigned; it leaves every workspace (membership and role) and
 * project. Shared documents themselves are kept. A workspace left without an owner is logged as a
 * warning for an operator, never deleted.
 *
 * Works in pages of `batchSize` documents, each committed on its own, and finds what is left by
 * querying again, so it never holds a whole account in memory or in one write. A retry after a
 * crash finishes the job, and a second run is harmless (it returns zeros). Uses only plain queries,
 * batched writes and transactions: no collection-group queries, `listDocuments` or BulkWriter
 * (which the embedded test server lacks, see docs/testing.md). Subcollections added to `users/{uid}` later
 * must be added here: deleting a document does not delete its subcollections.
 */
export async function deleteUserData(
  db: Firestore,
  clock: Clock,
  logger: Logger,
  uid: string,
  options: DeleteUserDataOptions = {},
): Promise<DeleteUserDataResult> {
  const { batchSize = 400 } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_WRITES) {
    throw new RangeError(`batchSize must be an integer from 1 to ${MAX_BATCH_WRITES}`);
  }
  const now = Timestamp.fromDate(clock.now());
  const userRef = db.collection(USERS).doc(uid);

  // Devices first: nobody should get this account's pushes a moment longer than necessary. A
  // device and its index entry go in one transaction (two writes per device), so no crash can
  // leave an index entry whose device is gone; the entry is deleted only while it still names
  // this user, as the token may have moved to someone else's phone since.
  const devicePage = Math.max(1, Math.floor(Math.min(batchSize, MAX_BATCH_WRITES / 2)));
  const devices = await drain(userRef.collection(DEVICES).limit(devicePage), (docs) =>
    db.runTransaction(async (tx) => {
      const tokens = docs.map((d): unknown => d.get('token')).filter((t) => typeof t === 'string');
      const indexRefs = [...new Set(tokens)].map((t) =>
        db.collection(DEVICE_TOKENS).doc(tokenKey(t)),
      );
      const owners = indexRefs.length > 0 ? await tx.getAll(...indexRefs) : [];
      for (const owner of owners) if (owner.get('uid') === uid) tx.delete(owner.ref);
      for (const doc of docs) tx.delete(doc.ref);
    }),
  );

  const notifications = await deleteAll(db, userRef.collection(NOTIFICATIONS).limit(batchSize));

  const tasksUnassigned = await drain(
    db.collection(TASKS).where('assigneeId', '==', uid).limit(batchSize),
    async (docs) => {
      const batch = db.batch();
      for (const doc of docs)
        batch.update(doc.ref, { assigneeId: null, updatedAt: now, updatedBy: null });
      await batch.commit();
    },
  );

  // The roles map is rewritten from a transactional read instead of deleting one key with
  // FieldValue.delete(): the embedded test server ignores nested field deletes (as
  // workspace.service's removeWorkspaceMember notes), and the transaction keeps a concurrent role
  // change of another member from being lost on real Firestore.
  const workspaces = await drain(
    db.collection(WORKSPACES).where('members', 'array-contains', uid).limit(batchSize),
    async (docs) => {
      const orphaned = await db.runTransaction(async (tx) => {
        const found: string[] = [];
        const snaps = await tx.getAll(...docs.map((d) => d.ref));
        for (const snap of snaps) {
          const members: unknown = snap.get('members');
          if (!Array.isArray(members) || !members.includes(uid)) continue;
          if (isSoleOwner(snap, uid)) found.push(snap.id);
          const roles = Object.fromEntries(
            Object.entries(rolesOf(snap)).filter(([member]) => member !== uid),
          );
          tx.update(snap.ref, { members: FieldValue.arrayRemove(uid), roles, updatedAt: now });
        }
        return found;
      });
      // Logged once committed (a transaction callback may run more than once), page by page: a
      // rerun no longer finds these workspaces, so it could not warn about them.
      for (const workspaceId of orphaned) {
        logger.warn('Workspace left without an owner by a deleted account', {
          workspaceId,
          userId: uid,
        });
      }
    },
  );

  const projects = await drain(
    db.collection(PROJECTS).where('members', 'array-contains', uid).limit(batchSize),
    async (docs) => {
      const batch = db.batch();
      for (const doc of docs) {
        batch.update(doc.ref, { members: FieldValue.arrayRemove(uid), updatedAt: now });
      }
      await batch.commit();
    },
  );

  const activity = await deleteAll(
    db,
    db.collection(ACTIVITY).where('userId', '==', uid).limit(batchSize),
  );

  const statsRef = db.collection(USER_STATS).doc(uid);
  await deleteAll(db, statsRef.collection(USER_STATS_DAYS).limit(batchSize));

  // Push/email delivery records hold the address and the message text; each has a few attempt
  // claims under it (`claims/v{n}`).
  await drain(
    db.collection(DELIVERIES).where('recipientId', '==', uid).limit(Math.min(batchSize, 80)),
    async (docs) => {
      // However many claims a record has (retries, quiet-hours holds), no batch exceeds 500
      // writes: each record's claims go before the record, in batches of at most 500, so a run
      // interrupted between two batches leaves the record for the rerun to find.
      const claims = await Promise.all(docs.map((d) => d.ref.collection(CLAIMS).get()));
      const refs = docs.flatMap((doc, i) => [
        ...(claims[i]?.docs ?? []).map((c) => c.ref),
        doc.ref,
      ]);
      for (let i = 0; i < refs.length; i += MAX_BATCH_WRITES) {
        const batch = db.batch();
        for (const ref of refs.slice(i, i + MAX_BATCH_WRITES)) batch.delete(ref);
        await batch.commit();
      }
    },
  );

  // The profile goes last, so an account whose deletion was interrupted is still recognisable.
  const last = db.batch();
  last.delete(statsRef);
  last.delete(userRef);
  await last.commit();

  return { devices, notifications, tasksUnassigned, workspaces, projects, activity };
}
