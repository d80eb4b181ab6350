import { Timestamp, type Firestore } from 'firebase-admin/firestore';
import type { Clock } from '../../core/clock';
import type { Logger } from '../../core/logger';
import { applyShape } from '../../core/query-shape';
import type { Mailer, Messenger, NotificationIntent } from './channels';
import { COALESCED, channelAllowed, quietHoursEnd, type Channel } from './delivery-policy';
import {
  LEASE_MS,
  RECENT_GROUP_QUERY,
  MAX_COALESCED,
  channelState,
  deliveryIdFor,
  inboxIdFor,
  loadRecipient,
  storedContent,
  summarize,
  type ChannelOutcome,
  type ChannelState,
  type DeliverResult,
  type DeliveryDoc,
  type HeldReason,
  type NotifierDeps,
  type Recipient,
} from './delivery-records.service';
import { attemptChannel, recordStates, type ChannelAttempt } from './delivery-send.service';
import { addInboxItem } from './inbox.service';
import type { NotificationSettings } from './settings';
import { DELIVERIES } from '../../storage/collections';
import { deliveryDocs } from '../../storage/refs';
import { isAlreadyExists } from '../../storage/already-exists';

/**
 * The notification engine: one {@link NotificationIntent} → an inbox item, a push and an email,
 * each exactly once per intent key, each obeying the recipient's preferences, with push held in
 * quiet hours, failures retried with backoff, and changes to one thing (a task) coalesced with a
 * leading edge: the first message about it goes out at once, further changes within the window
 * wait for the window's end and go out as one follow-up.
 *
 * Cost of a notified recipient with d devices, in the common case (sent at once): reads — the
 * profile and the d devices; writes — the inbox item, the delivery record created (the claim) and
 * finished (both channels in one update). The token index is read only for a device the app wrote
 * itself. Whether the address is suppressed comes with the profile (`suppression-check.service.ts`);
 * the suppression list is read only when the profile does not know yet (a profile from before the
 * field, an address changed since), once per address.
 *
 * Held records are sent by {@link releaseDueDeliveries} (`delivery-release.service.ts`), which claims each
 * attempt with `create()` of `deliveries/{id}/claims/v{version}`.
 */

export * from './delivery-records.service';
export { releaseDueDeliveries, type ReleaseReport } from './delivery-release.service';

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

/**
 * Delivers one intent: the inbox item, then push and email as the recipient's preferences allow.
 * Safe to call again with the same intent (a redelivered event): nothing is written or sent twice.
 * A push or email is sent before this returns unless coalescing or quiet hours hold it (`held`);
 * the releaser sends held ones when they are due.
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

  const outcomes: Record<Channel, ChannelOutcome> = { push: 'off', email: 'off' };
  const carried: Channel[] = [];
  for (const channel of ['push', 'email'] as const) {
    if (!wants[channel]) continue;
    const decision = channelAllowed(recipient.prefs, intent.category, channel);
    if (!decision.send) outcomes[channel] = `skipped:${decision.reason}`;
    else if (channel === 'email' && recipient.email === null) outcomes.email = 'skipped:no_email';
    else carried.push(channel);
  }
  if (carried.length === 0) return { inbox, inboxId, ...outcomes };
  Object.assign(outcomes, await enqueue(deps, intent, recipient, carried));
  return { inbox, inboxId, ...outcomes };
}

interface Timing {
  dueAt: Date;
  heldReason: HeldReason;
}

/**
 * When each channel of a coalesced category may go out: at once (the leading edge) unless a
 * message about the same group went to the recipient within the window — then at that window's
 * end, with whatever else is waiting (one follow-up). Needs no read when the thing did not change
 * for two windows; otherwise reads the group's recent records (an indexed query).
 */
async function coalescedTiming(
  deps: NotifierDeps,
  intent: NotificationIntent,
  channels: readonly Channel[],
  now: Date,
): Promise<Map<Channel, Timing>> {
  const windowMs = COALESCED.has(intent.category) ? deps.settings.coalesceWindowSeconds * 1000 : 0;
  const timing = new Map<Channel, Timing>(
    channels.map((c) => [c, { dueAt: now, heldReason: null }]),
  );
  const since = intent.previousChangeAt;
  const quiet =
    since === null || (since !== undefined && now.getTime() - since.getTime() >= 2 * windowMs);
  if (windowMs <= 0 || quiet) return timing;
  const recent = await applyShape(deliveryDocs(deps.db), RECENT_GROUP_QUERY, {
    equals: { recipientId: intent.recipientId, groupKey: intent.groupKey },
    range: { from: Timestamp.fromMillis(now.getTime() - 2 * windowMs) },
  })
    .limit(MAX_COALESCED)
    .get();
  const docs = recent.docs.map((s) => s.data());
  for (const channel of channels) {
    let pendingDue: number | null = null;
    let lastSent: number | null = null;
    for (const doc of docs) {
      if (doc.intentKey === intent.key) continue;
      // A record without this channel's state (it does not carry it) tells nothing about it.
      const state = doc[channel] as ChannelState | null | undefined;
      if (state === null || state === undefined) continue;
      if (state.status === 'pending' && state.heldReason === 'coalescing')
        pendingDue = Math.min(pendingDue ?? Infinity, state.dueAt.toMillis());
      const sentAt =
        state.status === 'sent'
          ? (state.sentAt?.toMillis() ?? null)
          : state.status === 'sending'
            ? doc.createdAt.toMillis()
            : null;
      if (sentAt !== null) lastSent = Math.max(lastSent ?? -Infinity, sentAt);
    }
    if (pendingDue !== null)
      timing.set(channel, { dueAt: new Date(pendingDue), heldReason: 'coalescing' });
    else if (lastSent !== null && lastSent + windowMs > now.getTime())
      timing.set(channel, { dueAt: new Date(lastSent + windowMs), heldReason: 'coalescing' });
  }
  return timing;
}

async function enqueue(
  deps: NotifierDeps,
  intent: NotificationIntent,
  recipient: Recipient,
  channels: readonly Channel[],
): Promise<Partial<Record<Channel, ChannelOutcome>>> {
  const now = deps.clock.now();
  const timing = await coalescedTiming(deps, intent, channels, now);
  const lease = new Date(now.getTime() + LEASE_MS);
  const states: Record<Channel, ChannelState | null> = { push: null, email: null };
  for (const channel of channels) {
    let { dueAt, heldReason } = timing.get(channel) ?? { dueAt: now, heldReason: null };
    if (channel === 'push') {
      const quietEnd = quietHoursEnd(recipient.prefs.quietHours, recipient.timezone, dueAt);
      if (quietEnd !== null) {
        dueAt = quietEnd;
        heldReason = 'quiet_hours';
      }
    }
    states[channel] =
      heldReason === null
        ? channelState('sending', now, null, lease)
        : channelState('pending', dueAt, heldReason, null);
  }
  const createdAt = Timestamp.fromDate(now);
  const doc: DeliveryDoc = {
    recipientId: recipient.uid,
    category: intent.category,
    groupKey: intent.groupKey,
    intentKey: intent.key,
    channels: [...channels],
    push: states.push,
    email: states.email,
    ...summarize(states.push, states.email, now, createdAt),
    version: 0,
    content: storedContent(intent),
    createdAt,
    updatedAt: createdAt,
  };
  const ref = deps.db.collection(DELIVERIES).doc(deliveryIdFor(intent.key));
  try {
    await ref.create(doc);
  } catch (e) {
    if (isAlreadyExists(e)) return Object.fromEntries(channels.map((c) => [c, 'duplicate']));
    throw e;
  }
  const member = { ref, doc };
  const attempts: Partial<Record<Channel, ChannelAttempt>> = {};
  await Promise.all(
    channels.map(async (channel) => {
      if (states[channel]?.status === 'sending')
        attempts[channel] = await attemptChannel(deps, channel, [member], recipient);
    }),
  );
  await recordStates(deps, [member], attempts, false);
  return Object.fromEntries(channels.map((c) => [c, attempts[c]?.outcome ?? 'held']));
}
