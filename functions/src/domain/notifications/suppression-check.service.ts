/**
 * What the profile knows about its address's suppression, so the common email costs no lookup.
 *
 * `users/{uid}.suppressionCheck` = `{ email, suppressed }`: `email` is the (normalised) address the
 * state was settled for, `suppressed` the suppression entry's reason and latest event time, or
 * `null` when the address is not on the list. Server-owned (firestore.rules lets no client write
 * it). Delivery trusts it only while it names the profile's current address; otherwise (a profile
 * from before the field, an address changed since) delivery looks the entry up once and records
 * the answer ({@link checkSuppression}), so the next email is free again.
 *
 * It stays true because every writer of the list also rewrites the profiles that trust the
 * address ({@link syncProfilesOf}: the webhook after it records a suppression, and
 * `removeSuppression`), and every write of the field happens in a transaction that reads the entry
 * it copies. Firestore serialises such a transaction with a write of that entry: a check that read
 * "absent" cannot commit after the webhook wrote the entry (it retries and reads it), and a check
 * that committed first is found by the webhook's query, which runs after the entry is written.
 */
import {
  FieldPath,
  Timestamp,
  type DocumentReference,
  type DocumentSnapshot,
  type Firestore,
  type Transaction,
} from 'firebase-admin/firestore';
import { z } from 'zod';
import { applyShape, type QueryShape } from '../../core/query-shape';
import type { SuppressionReason } from './sendgrid-events';
import { EMAIL_SUPPRESSIONS, USERS } from '../../storage/collections';
import { normaliseEmail, suppressionKey } from './suppression-keys';

/** The profile field. */
export const SUPPRESSION_CHECK_FIELD = 'suppressionCheck';

const SUPPRESSION_REASONS = ['bounced', 'invalid', 'spam_report', 'unsubscribed'] as const;

/** `users/{uid}.suppressionCheck`. */
export const suppressionCheckSchema = z.object({
  email: z.string(),
  suppressed: z
    .object({
      // An entry written by hand may carry another word; it still suppresses.
      reason: z.string(),
      at: z.instanceof(Timestamp).nullable(),
    })
    .nullable(),
});
export type SuppressionCheck = z.infer<typeof suppressionCheckSchema>;

/** Whether an address may be emailed; `reason` names why not. */
export interface SuppressionStatus {
  suppressed: boolean;
  reason?: SuppressionReason;
}

function isReason(value: string): value is SuppressionReason {
  return (SUPPRESSION_REASONS as readonly string[]).includes(value);
}

function statusOf(check: SuppressionCheck): SuppressionStatus {
  if (check.suppressed === null) return { suppressed: false };
  const { reason } = check.suppressed;
  return isReason(reason) ? { suppressed: true, reason } : { suppressed: true };
}

/**
 * What a profile's stored check says about `email` (the address about to be emailed), or `null`
 * when it does not know: no check, one for another address, or a malformed one.
 */
export function suppressionFromProfile(
  stored: unknown,
  email: string | null,
): SuppressionStatus | null {
  if (email === null) return null;
  const parsed = suppressionCheckSchema.safeParse(stored);
  if (!parsed.success || parsed.data.email !== normaliseEmail(email)) return null;
  return statusOf(parsed.data);
}

/** The check an entry snapshot (present or absent) calls for. */
function checkFrom(email: string, entry: DocumentSnapshot): SuppressionCheck {
  if (!entry.exists) return { email, suppressed: null };
  const reason: unknown = entry.get('reason');
  const at: unknown = entry.get('lastAt');
  return {
    email,
    suppressed: {
      reason: typeof reason === 'string' ? reason : 'unknown',
      at: at instanceof Timestamp ? at : null,
    },
  };
}

function sameCheck(stored: unknown, next: SuppressionCheck): boolean {
  const parsed = suppressionCheckSchema.safeParse(stored);
  if (!parsed.success) return false;
  const a = parsed.data;
  if (a.email !== next.email) return false;
  if (a.suppressed === null || next.suppressed === null) return a.suppressed === next.suppressed;
  return (
    a.suppressed.reason === next.suppressed.reason &&
    (a.suppressed.at?.toMillis() ?? null) === (next.suppressed.at?.toMillis() ?? null)
  );
}

function entryRef(db: Firestore, email: string): DocumentReference {
  return db.collection(EMAIL_SUPPRESSIONS).doc(suppressionKey(email));
}

/** Firestore's gRPC code for a failed precondition (`lastUpdateTime` no longer matches). */
const FAILED_PRECONDITION = 9;

/**
 * Looks `email` up on the suppression list for the recipient whose profile delivery read (version
 * `profileUpdateTime`) and records the answer on it: a transaction reading the entry and updating
 * the profile only if it is still that version (1 read and, once per address, 1 write). A profile
 * changed since (a webhook rewrote it, the address changed) is left alone and the answer still
 * used. Called by delivery when the profile does not know.
 */
export async function checkSuppression(
  db: Firestore,
  recipient: { uid: string; email: string; profileUpdateTime: Timestamp | null },
): Promise<SuppressionStatus> {
  const address = normaliseEmail(recipient.email);
  const profileRef = db.collection(USERS).doc(recipient.uid);
  const { profileUpdateTime } = recipient;
  // What the transaction read, kept when only its conditional write failed.
  const seen: { check?: SuppressionCheck } = {};
  try {
    await db.runTransaction(async (tx) => {
      const check = checkFrom(address, await tx.get(entryRef(db, address)));
      seen.check = check;
      if (profileUpdateTime !== null) {
        tx.update(
          profileRef,
          { [SUPPRESSION_CHECK_FIELD]: check },
          { lastUpdateTime: profileUpdateTime },
        );
      }
    });
  } catch (e) {
    const code: unknown = typeof e === 'object' && e !== null ? Reflect.get(e, 'code') : undefined;
    if (code !== FAILED_PRECONDITION || seen.check === undefined) throw e;
  }
  if (seen.check === undefined) throw new Error('the suppression lookup did not run');
  return statusOf(seen.check);
}

/**
 * Settles the check of user `uid`'s current address (the sign-up trigger, so a new account's
 * first email is free too). Nothing when the profile has no address. Returns the status recorded.
 */
export async function recordSuppressionCheck(
  db: Firestore,
  uid: string,
): Promise<SuppressionStatus | null> {
  const profileRef = db.collection(USERS).doc(uid);
  return db.runTransaction(async (tx) => {
    const profile = await tx.get(profileRef);
    const email: unknown = profile.get('email');
    if (typeof email !== 'string' || email.trim() === '') return null;
    const check = checkFrom(normaliseEmail(email), await tx.get(entryRef(db, email)));
    recordIfCurrent(tx, profile, check);
    return statusOf(check);
  });
}

/** Writes `check` on the profile if it is there, still has that address, and says otherwise. */
function recordIfCurrent(
  tx: Transaction,
  profile: DocumentSnapshot,
  check: SuppressionCheck,
): void {
  if (!profile.exists) return;
  const email: unknown = profile.get('email');
  if (typeof email !== 'string' || normaliseEmail(email) !== check.email) return;
  if (sameCheck(profile.get(SUPPRESSION_CHECK_FIELD), check)) return;
  tx.update(profile.ref, { [SUPPRESSION_CHECK_FIELD]: check });
}

/**
 * The profiles whose check names an address, paged by document id (single-field equality: served
 * by the automatic index, no composite one).
 */
export const PROFILES_CHECKED_FOR_QUERY: QueryShape = {
  collection: USERS,
  equals: [`${SUPPRESSION_CHECK_FIELD}.email`],
  orderBy: [],
};

interface PageResult {
  writes: number;
  size: number;
  last: string | null;
}

/** Profiles rewritten per transaction (a transaction holds at most 500 writes). */
const PROFILES_PER_PAGE = 200;

/** The field {@link PROFILES_CHECKED_FOR_QUERY} filters on. */
const CHECKED_EMAIL = `${SUPPRESSION_CHECK_FIELD}.email`;
/** Addresses per `in` filter (Firestore allows 30). */
const ADDRESSES_PER_QUERY = 30;
/** `in` queries in flight at once. */
const QUERIES_IN_FLIGHT = 8;

/**
 * Of `emails`, the (normalised) addresses some profile trusts: one `in` query per
 * {@link ADDRESSES_PER_QUERY} addresses. Most addresses of a bounce storm belong to no profile
 * (invitations, old addresses), so the webhook rewrites only these ({@link syncProfilesOf}).
 * Safe without a transaction because the caller runs it after writing the entries: a check that
 * commits later read the entry after that write (its read holds the entry until it commits), so
 * it records the suppression itself.
 */
export async function addressesTrusted(
  db: Firestore,
  emails: readonly string[],
): Promise<string[]> {
  const addresses = [...new Set(emails.map(normaliseEmail))];
  const chunks: string[][] = [];
  for (let i = 0; i < addresses.length; i += ADDRESSES_PER_QUERY) {
    chunks.push(addresses.slice(i, i + ADDRESSES_PER_QUERY));
  }
  const found = new Set<string>();
  for (let i = 0; i < chunks.length; i += QUERIES_IN_FLIGHT) {
    const snaps = await Promise.all(
      chunks.slice(i, i + QUERIES_IN_FLIGHT).map((chunk) =>
        applyShape(db.collection(USERS), PROFILES_CHECKED_FOR_QUERY, {
          equals: {},
          oneOf: { [CHECKED_EMAIL]: chunk },
        }).get(),
      ),
    );
    for (const snap of snaps) {
      for (const doc of snap.docs) {
        const email: unknown = doc.get(CHECKED_EMAIL);
        if (typeof email === 'string') found.add(email);
      }
    }
  }
  return [...found];
}

/**
 * Rewrites the check of every profile that trusts `email` to what the suppression entry says now
 * (suppressed, or lifted): one transaction per page of {@link PROFILES_PER_PAGE} profiles, each
 * reading the entry and the page. Profiles already right are not written, so a redelivered
 * webhook batch costs reads only. Returns how many profiles were rewritten.
 */
export async function syncProfilesOf(db: Firestore, email: string): Promise<number> {
  const address = normaliseEmail(email);
  const base = applyShape(db.collection(USERS), PROFILES_CHECKED_FOR_QUERY, {
    equals: { [CHECKED_EMAIL]: address },
  })
    .orderBy(FieldPath.documentId())
    .limit(PROFILES_PER_PAGE);
  let after: string | null = null;
  let rewritten = 0;
  for (;;) {
    const cursor: string | null = after;
    const page: PageResult = await db.runTransaction(async (tx): Promise<PageResult> => {
      const entry = await tx.get(entryRef(db, address));
      const profiles = await tx.get(cursor === null ? base : base.startAfter(cursor));
      const check = checkFrom(address, entry);
      let writes = 0;
      for (const profile of profiles.docs) {
        if (sameCheck(profile.get(SUPPRESSION_CHECK_FIELD), check)) continue;
        tx.update(profile.ref, { [SUPPRESSION_CHECK_FIELD]: check });
        writes++;
      }
      return { writes, size: profiles.size, last: profiles.docs.at(-1)?.id ?? null };
    });
    rewritten += page.writes;
    if (page.size < PROFILES_PER_PAGE || page.last === null) return rewritten;
    after = page.last;
  }
}

/**
 * {@link syncProfilesOf} for every address of `emails` that some profile trusts
 * ({@link addressesTrusted}), {@link QUERIES_IN_FLIGHT} at a time. Returns the profiles rewritten.
 */
export async function syncProfilesOfAll(db: Firestore, emails: readonly string[]): Promise<number> {
  const trusted = await addressesTrusted(db, emails);
  let rewritten = 0;
  for (let i = 0; i < trusted.length; i += QUERIES_IN_FLIGHT) {
    const counts = await Promise.all(
      trusted.slice(i, i + QUERIES_IN_FLIGHT).map((email) => syncProfilesOf(db, email)),
    );
    rewritten += counts.reduce((a, b) => a + b, 0);
  }
  return rewritten;
}
