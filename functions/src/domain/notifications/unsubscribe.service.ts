/**
 * One-click unsubscribe (RFC 8058): the signed, expiring token carried by the `List-Unsubscribe`
 * link of every notification email, and what following it does to the recipient's preferences.
 *
 * Token: `<payload>.<signature>`, both base64url without padding. The payload is the JSON
 * `{uid, scope, exp, v: 1}` (`exp` in Unix seconds); the signature is HMAC-SHA256 with the
 * `UNSUBSCRIBE_SIGNING_KEY` over `taskflow-unsubscribe.` + the payload segment (the prefix keeps a
 * token from being valid anywhere else the key might be used). About 140 characters for a
 * 28-character uid. The token is the only authority of the link: no sign-in, so it names one
 * account and one preference, and it expires.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Timestamp, type Firestore } from 'firebase-admin/firestore';
import { z } from 'zod';
import type { Clock } from '../../core/clock';
import { AppError } from '../../core/errors';
import type { NotificationPreferences } from '../users/preferences.schema';
import { resolvePreferences } from '../users/preferences.service';
import { USERS } from '../../storage/collections';

type BooleanPreference = {
  [K in keyof NotificationPreferences]: NotificationPreferences[K] extends boolean ? K : never;
}[keyof NotificationPreferences];

/**
 * What a link turns off: scope → the preference keys it sets to `false`, and how the pages name
 * it. `email` is the master switch of all notification email; the category scopes are the
 * category switches of the preferences, which govern that category on every channel (the preference model
 * has no per-channel category switch), so the pages say "notifications", not "emails".
 */
export const UNSUBSCRIBE_SCOPES = {
  email: { keys: ['emailNotifications'], label: 'all TaskFlow notification emails' },
  dailySummary: { keys: ['dailySummary'], label: 'the daily summary email' },
  weeklySummary: { keys: ['weeklySummary'], label: 'the weekly summary email' },
  taskAssignment: { keys: ['taskAssignment'], label: 'task assignment notifications' },
  taskStatusChange: { keys: ['taskStatusChange'], label: 'task status change notifications' },
  taskDueDate: { keys: ['taskDueDate'], label: 'due date reminders' },
} as const satisfies Record<string, { keys: readonly BooleanPreference[]; label: string }>;

export type UnsubscribeScope = keyof typeof UNSUBSCRIBE_SCOPES;

export const unsubscribeScopeSchema = z.enum(
  Object.keys(UNSUBSCRIBE_SCOPES) as [UnsubscribeScope, ...UnsubscribeScope[]],
);

/**
 * Lifetime of a link: 60 days. Mailbox providers (Gmail's and Yahoo's sender requirements) expect
 * the unsubscribe link of a message to keep working as long as people keep the message around,
 * and people act on old mail; an expiry still bounds how long a forwarded or leaked link works.
 * An expired link's page points to the app's settings instead.
 */
export const UNSUBSCRIBE_TOKEN_TTL_SECONDS = 60 * 24 * 60 * 60;

/** Path of the app's notification settings under the public origin (the pages link there). */
export const PREFERENCES_PATH = '/settings/notifications';

const TOKEN_VERSION = 1;
const SIGNING_CONTEXT = 'taskflow-unsubscribe.';
/** Longer than any token we sign (uid ≤ 128 characters); longer strings are not even parsed. */
const MAX_TOKEN_LENGTH = 512;
/** A base64url payload segment, a dot, and a 32-byte HMAC in base64url (43 characters). */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/;

const uidSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[^/]+$/, 'must be a user id');

const subjectSchema = z.strictObject({ uid: uidSchema, scope: unsubscribeScopeSchema });

const payloadSchema = z.strictObject({
  uid: uidSchema,
  scope: unsubscribeScopeSchema,
  exp: z.number().int().positive(),
  v: z.literal(TOKEN_VERSION),
});

/** Whom a token is for and what it turns off. */
export interface UnsubscribeSubject {
  uid: string;
  scope: UnsubscribeScope;
}

/** The settings links are built from (a subset of the runtime's `NotificationSettings`). */
export interface UnsubscribeLinkSettings {
  /** Public origin, no trailing slash, e.g. `https://taskflow.app`. */
  publicBaseUrl: string;
  unsubscribeSigningKey: string;
}

function mac(key: string, payload: string): Buffer {
  if (key === '') throw new Error('the unsubscribe signing key is empty');
  return createHmac('sha256', key)
    .update(SIGNING_CONTEXT + payload)
    .digest();
}

function invalidToken(message: string): AppError {
  return AppError.validation([{ field: 'token', message }]);
}

/**
 * Signs a link token for `subject`, valid for `ttlSeconds` (default
 * {@link UNSUBSCRIBE_TOKEN_TTL_SECONDS}) from `clock`'s now. Throws VALIDATION_ERROR for an
 * unknown scope or a malformed uid — a caller bug, caught before a link goes out.
 */
export function signUnsubscribeToken(
  key: string,
  clock: Clock,
  subject: UnsubscribeSubject,
  ttlSeconds: number = UNSUBSCRIBE_TOKEN_TTL_SECONDS,
): string {
  const parsed = subjectSchema.safeParse(subject);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw AppError.validation([
      { field: issue?.path.join('.') ?? '', message: issue?.message ?? 'invalid' },
    ]);
  }
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) {
    throw new Error(`ttlSeconds must be a positive integer, got ${ttlSeconds}`);
  }
  const exp = Math.floor(clock.now().getTime() / 1000) + ttlSeconds;
  const payload = Buffer.from(
    JSON.stringify({ uid: parsed.data.uid, scope: parsed.data.scope, exp, v: TOKEN_VERSION }),
  ).toString('base64url');
  return `${payload}.${mac(key, payload).toString('base64url')}`;
}

/**
 * Checks a link token and answers whom it is for and what it turns off.
 *
 * The signature is checked (in constant time) before the payload is parsed, so nothing a stranger
 * writes is ever interpreted. Throws AppError VALIDATION_ERROR (`token: …`) for anything malformed
 * or not signed with `key`, and FAILED_PRECONDITION ("link expired") for a genuine token past its
 * `exp` — the pages tell the two apart.
 */
export function verifyUnsubscribeToken(
  key: string,
  clock: Clock,
  token: unknown,
): UnsubscribeSubject {
  if (typeof token !== 'string' || token === '') throw invalidToken('is required');
  if (token.length > MAX_TOKEN_LENGTH || !TOKEN_SHAPE.test(token)) {
    throw invalidToken('is malformed');
  }
  const dot = token.indexOf('.');
  const payload = token.slice(0, dot);
  // Compared as text, so only the canonical encoding of the MAC passes (base64url's last
  // character carries 2 unused bits: decoding would accept four spellings of one signature).
  const given = Buffer.from(token.slice(dot + 1));
  const expected = Buffer.from(mac(key, payload).toString('base64url'));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw invalidToken('has an invalid signature');
  }
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw invalidToken('is malformed');
  }
  const parsed = payloadSchema.safeParse(decoded);
  if (!parsed.success) throw invalidToken('is malformed');
  if (parsed.data.exp <= Math.floor(clock.now().getTime() / 1000)) {
    throw new AppError('FAILED_PRECONDITION', 'This unsubscribe link has expired', {
      expiredAt: new Date(parsed.data.exp * 1000).toISOString(),
    });
  }
  return { uid: parsed.data.uid, scope: parsed.data.scope };
}

/** Whether `e` is the "link expired" error of {@link verifyUnsubscribeToken}. */
export function isExpiredUnsubscribeLink(e: unknown): boolean {
  return e instanceof AppError && e.code === 'FAILED_PRECONDITION';
}

/** What the mailer puts into an email for one recipient and one scope. */
export interface UnsubscribeLinks {
  /** `${publicBaseUrl}/api/unsubscribe?token=…`: the footer link and the header target. */
  url: string;
  /** RFC 2369 + RFC 8058 headers: the mailbox provider's one-click button POSTs to `url`. */
  headers: { 'List-Unsubscribe': string; 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' };
  /** The app's notification settings, for "manage all notifications" in the footer. */
  preferencesUrl: string;
}

/**
 * The unsubscribe link, the `List-Unsubscribe`/`List-Unsubscribe-Post` headers and the settings
 * link for one email. The engine calls it when it composes each email (one signature, no I/O).
 */
export function unsubscribeLinks(
  settings: UnsubscribeLinkSettings,
  clock: Clock,
  subject: UnsubscribeSubject,
  ttlSeconds?: number,
): UnsubscribeLinks {
  const token = signUnsubscribeToken(settings.unsubscribeSigningKey, clock, subject, ttlSeconds);
  const url = `${settings.publicBaseUrl}/api/unsubscribe?token=${encodeURIComponent(token)}`;
  return {
    url,
    headers: {
      'List-Unsubscribe': `<${url}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    },
    preferencesUrl: `${settings.publicBaseUrl}${PREFERENCES_PATH}`,
  };
}

/** Where an unsubscribe came from: the page's button, a mailbox provider's one-click POST, or a SendGrid event. */
export type UnsubscribeSource = 'link' | 'one-click' | 'webhook';

export interface UnsubscribeResult {
  /** `false` when `users/{uid}` does not exist (deleted account); nothing was written. */
  found: boolean;
  /** Preference keys this call turned off; empty when they were off already. */
  changed: string[];
}

/**
 * Turns off the preference(s) of `scope` in `users/{uid}.notificationPreferences`, leaving every
 * other preference as it is, and records `unsubscribes.<scope> = {at, source}` on the user
 * document (server-owned; deleted with the account, unlike a subcollection).
 *
 * Idempotent: when the preferences are off already nothing is written, so a repeated POST (mail
 * clients retry, people click twice) changes nothing. A missing user document is not created —
 * the account is gone, so no mail goes to it anyway — and reported as `found: false`; the pages
 * answer the same either way, so a link does not reveal whether its account still exists.
 */
export async function applyUnsubscribe(
  db: Firestore,
  clock: Clock,
  subject: UnsubscribeSubject,
  source: UnsubscribeSource,
): Promise<UnsubscribeResult> {
  const ref = db.collection(USERS).doc(subject.uid);
  const keys: readonly BooleanPreference[] = UNSUBSCRIBE_SCOPES[subject.scope].keys;
  return db.runTransaction(async (tx) => {
    const snap = await tx.get(ref);
    if (!snap.exists) return { found: false, changed: [] };
    const current = resolvePreferences(snap.get('notificationPreferences'));
    const changed = keys.filter((key) => current[key]);
    if (changed.length === 0) return { found: true, changed: [] };
    const now = Timestamp.fromDate(clock.now());
    // Dotted paths in update() write single leaves: the other preferences stay untouched.
    const update: Record<string, unknown> = {
      [`unsubscribes.${subject.scope}`]: { at: now, source },
      updatedAt: now,
    };
    for (const key of changed) update[`notificationPreferences.${key}`] = false;
    tx.update(ref, update);
    return { found: true, changed: [...changed] };
  });
}
