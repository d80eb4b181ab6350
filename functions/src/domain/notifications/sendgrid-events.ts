/**
 * What the SendGrid Event Webhook sends, as far as we read it: the event schema, which events
 * suppress an address and why, how far a delivery got (status rank), and a stable id per event.
 * Pure: the suppression list and delivery records are written by `suppressions.service.ts`.
 */
import { createHash } from 'node:crypto';
import type { Timestamp } from 'firebase-admin/firestore';
import { z } from 'zod';

/** Why an address is suppressed. */
/** The reasons a suppression entry records. */
export const SUPPRESSION_REASONS = ['bounced', 'invalid', 'spam_report', 'unsubscribed'] as const;
export type SuppressionReason = (typeof SUPPRESSION_REASONS)[number];

// ------------------------------------------------------------------------------------------------
// Events

/**
 * A custom arg usable as a document id (no `/`, not `.`/`..`, not `__…__`), else `undefined`: a
 * strange id drops the reference, never the event (its bounce must still be recorded).
 */
export function docIdOrUndefined(value: string | undefined): string | undefined {
  if (value === undefined || value.length === 0 || value.length > 128) return undefined;
  if (value.includes('/') || value === '.' || value === '..' || /^__.*__$/.test(value)) {
    return undefined;
  }
  return value;
}

/**
 * One SendGrid event, as far as we read it. Other properties (categories, `smtp-id`, IP, user
 * agent, other custom args) pass through unread. Custom args arrive as top-level properties:
 * `deliveryId` and `userId` are the ones the mailer sets.
 */
export const sendGridEventSchema = z.looseObject({
  event: z.string().min(1).max(64),
  email: z.string().min(3).max(320),
  /** Unix seconds, up to the last second Firestore can store (9999-12-31). */
  timestamp: z.number().nonnegative().max(253_402_300_799),
  sg_event_id: z.string().min(1).max(256).optional(),
  sg_message_id: z.string().max(256).optional(),
  /** `bounce` events: `bounce` (hard) or `blocked` (temporary). */
  type: z.string().max(64).optional(),
  /** `bounce`/`dropped`: why. */
  reason: z.string().max(4096).optional(),
  /** `delivered`/`deferred`: the receiving server's response. */
  response: z.string().max(4096).optional(),
  deliveryId: z.string().max(1024).optional(),
  userId: z.string().max(1024).optional(),
});

export type SendGridEvent = z.infer<typeof sendGridEventSchema>;

/** Events we understand; others (e.g. `group_resubscribe`) are counted as ignored. */
export const KNOWN_EVENTS = new Set([
  'processed',
  'deferred',
  'delivered',
  'open',
  'click',
  'bounce',
  'dropped',
  'spamreport',
  'unsubscribe',
  'group_unsubscribe',
]);

/**
 * How far along a message is, for the delivery record's `providerStatus`: a later event never
 * moves it back (SendGrid does not post events in order). Failures after acceptance (an
 * asynchronous bounce) outrank engagement.
 */
export const STATUS_RANK: Readonly<Record<string, number>> = {
  processed: 1,
  deferred: 2,
  delivered: 3,
  open: 4,
  click: 5,
  unsubscribe: 6,
  group_unsubscribe: 6,
  spamreport: 7,
  blocked: 8,
  bounce: 8,
  dropped: 8,
};

/** SendGrid `dropped` reasons that say the address itself must not be mailed. */
export const DROP_REASONS: Readonly<Record<string, SuppressionReason>> = {
  'bounced address': 'bounced',
  invalid: 'invalid',
  'spam reporting address': 'spam_report',
  'unsubscribed address': 'unsubscribed',
};

/** The suppression an event calls for, or `null` (delivered, opened, a temporary block, …). */
export function suppressionReasonOf(event: SendGridEvent): SuppressionReason | null {
  switch (event.event) {
    case 'bounce':
      // `blocked` is a temporary refusal (reputation, rate): the address may work tomorrow.
      return event.type === 'blocked' ? null : 'bounced';
    case 'dropped':
      return DROP_REASONS[(event.reason ?? '').trim().toLowerCase()] ?? null;
    case 'spamreport':
      return 'spam_report';
    case 'unsubscribe':
    case 'group_unsubscribe':
      return 'unsubscribed';
    default:
      return null;
  }
}

/** Events after which the user also asked us, not just SendGrid, to stop emailing them. */
export const TURNS_EMAIL_OFF = new Set(['spamreport', 'unsubscribe', 'group_unsubscribe']);

/** What one webhook batch did; the webhook answers it (and logs it). */
export interface EventBatchSummary {
  received: number;
  /** Events that failed the schema (skipped, logged). */
  invalid: number;
  /** Event types we do not handle (skipped). */
  ignored: number;
  /** Suppression events newly applied. */
  suppressionEvents: number;
  /** Suppression events seen before (a redelivered batch). */
  duplicateEvents: number;
  /** Suppression entries created. */
  suppressionsCreated: number;
  /** Users whose email preference was turned off by a spam report or unsubscribe. */
  usersUnsubscribed: number;
  /** Profiles whose suppression state was rewritten (`suppression-check.service.ts`). */
  profilesUpdated: number;
  /** Delivery records updated / named by an event but not there (expired, or not ours). */
  deliveriesUpdated: number;
  deliveriesMissing: number;
}

export interface Parsed {
  event: SendGridEvent;
  /** `sg_event_id`, or a digest of the event when SendGrid left it out. */
  id: string;
  at: Timestamp;
}

/** An event that suppresses its address, with the reason. */
export interface AddressEvent {
  reason: SuppressionReason;
  parsed: Parsed;
}

export function eventIdOf(event: SendGridEvent): string {
  return (
    event.sg_event_id ??
    `h:${createHash('sha256')
      .update(JSON.stringify([event.event, event.email, event.timestamp, event.sg_message_id]))
      .digest('base64url')}`
  );
}

export function statusOf(event: SendGridEvent): string {
  return event.event === 'bounce' && event.type === 'blocked' ? 'blocked' : event.event;
}
