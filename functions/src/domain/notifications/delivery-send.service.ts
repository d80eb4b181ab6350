import { Timestamp } from 'firebase-admin/firestore';
import type { Logger } from '../../core/logger';
import { tokenKey, unregisterDevice } from '../users/devices.service';
import { DeliveryError } from './channels';
import { channelAllowed, quietHoursEnd, retryDelayMs, type Channel } from './delivery-policy';
import {
  MAX_DEVICES,
  composeEmailData,
  composePush,
  ordered,
  summarize,
  unsubscribeScope,
  type ChannelOutcome,
  type ChannelState,
  type DeliveryDoc,
  type Member,
  type NotifierDeps,
  type Recipient,
} from './delivery-records.service';
import { renderEmail } from './email-templates';
import { checkSuppression } from './suppression-check.service';
import { unsubscribeLinks } from './unsubscribe.service';
import { USERS, DEVICES, DEVICE_TOKENS } from '../../storage/collections';

/**
 * One attempt of one channel for one record or a burst of records: decide again (preferences and
 * quiet hours may have changed while it was held), send one message, and answer each record's new
 * channel state. Nothing is written here except device pruning; the caller records the states of
 * both channels of a record in one update ({@link recordStates}).
 */

export interface ChannelAttempt {
  outcome: ChannelOutcome;
  /** The channel's new state per record id. */
  states: Map<string, ChannelState>;
}

function current(m: Member, channel: Channel): ChannelState {
  const state = m.doc[channel];
  if (state === null) throw new Error(`Record ${m.ref.id} does not carry ${channel}`);
  return state;
}

function each(
  members: readonly Member[],
  channel: Channel,
  next: (state: ChannelState, m: Member, i: number) => ChannelState,
): Map<string, ChannelState> {
  return new Map(members.map((m, i) => [m.ref.id, next(current(m, channel), m, i)]));
}

function skipped(members: readonly Member[], channel: Channel, reason: string): ChannelAttempt {
  return {
    outcome: `skipped:${reason}`,
    states: each(members, channel, (s) => ({
      ...s,
      status: 'skipped',
      skipReason: reason,
      leaseUntil: null,
    })),
  };
}

export async function attemptChannel(
  deps: NotifierDeps,
  channel: Channel,
  members: readonly Member[],
  recipient: Recipient,
): Promise<ChannelAttempt> {
  const first = members[0];
  if (first === undefined) return { outcome: 'duplicate', states: new Map() };
  const log = deps.logger.child({
    recipientId: recipient.uid,
    channel,
    category: first.doc.category,
    deliveryId: first.ref.id,
  });
  try {
    if (!recipient.exists) return skipped(members, channel, 'no_user');
    const decision = channelAllowed(recipient.prefs, first.doc.category, channel);
    if (!decision.send) return skipped(members, channel, decision.reason);
    if (channel === 'push') {
      const quietEnd = quietHoursEnd(
        recipient.prefs.quietHours,
        recipient.timezone,
        deps.clock.now(),
      );
      if (quietEnd !== null) {
        log.info('Push held for quiet hours', { releaseAt: quietEnd.toISOString() });
        return {
          outcome: 'held',
          states: each(members, channel, (s) => ({
            ...s,
            status: 'pending',
            dueAt: Timestamp.fromDate(quietEnd),
            heldReason: 'quiet_hours',
            leaseUntil: null,
          })),
        };
      }
      return await sendPush(deps, members, recipient, log);
    }
    if (recipient.email === null) return skipped(members, channel, 'no_email');
    // Known from the profile in the common case; looked up (and recorded) only when it is not.
    const suppression =
      recipient.suppression ??
      (await checkSuppression(deps.db, { ...recipient, email: recipient.email }));
    if (suppression.suppressed)
      return skipped(members, channel, `suppressed_${suppression.reason ?? 'email'}`);
    return await sendEmail(deps, members, recipient);
  } catch (e) {
    const error =
      e instanceof DeliveryError
        ? e
        : new DeliveryError('transient', 'internal', e instanceof Error ? e.message : String(e));
    if (!(e instanceof DeliveryError))
      log.error('Delivery attempt crashed', { error: error.message });
    return failure(deps, channel, members, error, log);
  }
}

function sentStates(
  deps: NotifierDeps,
  channel: Channel,
  members: readonly Member[],
  providerMessageId: string | null,
  devices: ChannelState['devices'],
): ChannelAttempt {
  const sorted = ordered(members);
  const leader = sorted[0];
  const sentAt = Timestamp.fromDate(deps.clock.now());
  return {
    outcome: 'sent',
    states: each(sorted, channel, (s, m, i) => ({
      ...s,
      status: 'sent',
      heldReason: null,
      leaseUntil: null,
      sentAt,
      attempts: s.attempts + 1,
      providerMessageId,
      lastError: null,
      ...(i === 0
        ? { coalescedCount: sorted.length, devices }
        : { coalescedInto: leader?.ref.id ?? m.ref.id }),
    })),
  };
}

/**
 * A failed attempt: transient failures are retried with backoff until the attempt limit, then
 * recorded as failed; permanent ones are recorded as failed at once. Every failure is logged.
 */
export function failure(
  deps: NotifierDeps,
  channel: Channel,
  members: readonly Member[],
  error: DeliveryError,
  log: Logger = deps.logger,
): ChannelAttempt {
  const first = members[0];
  if (first === undefined) return { outcome: 'failed', states: new Map() };
  const attempts = current(first, channel).attempts + 1;
  const lastError = { kind: error.kind, code: error.code, message: error.message };
  const fields = {
    deliveryId: first.ref.id,
    recipientId: first.doc.recipientId,
    channel,
    attempts,
    code: error.code,
    kind: error.kind,
    error: error.message,
  };
  if (error.kind === 'transient' && attempts < deps.settings.maxDeliveryAttempts) {
    const retryAt = new Date(
      deps.clock.now().getTime() + retryDelayMs(attempts, `${channel}_${first.ref.id}`),
    );
    log.warn('Delivery failed; will retry', { ...fields, retryAt: retryAt.toISOString() });
    return {
      outcome: 'retrying',
      states: each(members, channel, (s) => ({
        ...s,
        status: 'pending',
        dueAt: Timestamp.fromDate(retryAt),
        heldReason: 'retry',
        leaseUntil: null,
        attempts: s.attempts + 1,
        lastError,
      })),
    };
  }
  log.error('Delivery failed permanently', fields);
  return {
    outcome: 'failed',
    states: each(members, channel, (s) => ({
      ...s,
      status: 'failed',
      leaseUntil: null,
      attempts: s.attempts + 1,
      lastError,
    })),
  };
}

/**
 * The tokens a push goes to. Devices registered through the API carry `indexedAt`: their token's
 * one owner was settled in the same transaction that wrote them, so they are used as they are.
 * Only a device the app wrote directly (no `indexedAt`: a new token to us) is checked against the
 * token index; a copy of a token that has since moved to another account on the same phone is
 * stale and is dropped, so this user's notifications never reach the other person.
 */
async function pushTargets(deps: NotifierDeps, recipient: Recipient): Promise<string[]> {
  const { db } = deps;
  const devices = await db
    .collection(USERS)
    .doc(recipient.uid)
    .collection(DEVICES)
    .limit(MAX_DEVICES)
    .get();
  const known = new Set<string>();
  const unchecked = new Map<string, string>();
  for (const d of devices.docs) {
    const token: unknown = d.get('token');
    if (typeof token !== 'string' || token === '') continue;
    if (d.get('indexedAt') instanceof Timestamp) known.add(token);
    else unchecked.set(token, d.id);
  }
  if (unchecked.size === 0) return [...known];
  const tokens = [...unchecked.keys()].filter((t) => !known.has(t));
  const owners =
    tokens.length === 0
      ? []
      : await db.getAll(...tokens.map((t) => db.collection(DEVICE_TOKENS).doc(tokenKey(t))));
  await Promise.all(
    tokens.map(async (token, i) => {
      const owner: unknown = owners[i]?.get('uid');
      if (typeof owner === 'string' && owner !== recipient.uid) {
        const deviceId = unchecked.get(token);
        if (deviceId !== undefined)
          await db.collection(USERS).doc(recipient.uid).collection(DEVICES).doc(deviceId).delete();
        return;
      }
      known.add(token);
    }),
  );
  return [...known];
}

async function sendPush(
  deps: NotifierDeps,
  members: readonly Member[],
  recipient: Recipient,
  log: Logger,
): Promise<ChannelAttempt> {
  const sorted = ordered(members);
  const tokens = await pushTargets(deps, recipient);
  if (tokens.length === 0) return skipped(members, 'push', 'no_devices');
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
    return sentStates(deps, 'push', sorted, firstId, stats);
  }
  const [firstError] = errors;
  if (firstError === undefined) {
    const result = skipped(members, 'push', 'no_devices');
    for (const [id, s] of result.states) result.states.set(id, { ...s, devices: stats });
    return result;
  }
  // Retry if any device failed transiently; otherwise the failure is permanent.
  throw errors.find((e) => e.kind === 'transient') ?? firstError;
}

async function sendEmail(
  deps: NotifierDeps,
  members: readonly Member[],
  recipient: Recipient,
): Promise<ChannelAttempt> {
  const sorted = ordered(members);
  const docs: DeliveryDoc[] = sorted.map((m) => m.doc);
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
  return sentStates(deps, 'email', sorted, messageId, null);
}

/**
 * Writes the new channel states of each record, with the record-level summary, in one batch (one
 * write per record). `bumpVersion` moves a released record to its next claim.
 */
export async function recordStates(
  deps: NotifierDeps,
  members: readonly Member[],
  attempts: Partial<Record<Channel, ChannelAttempt>>,
  bumpVersion: boolean,
): Promise<void> {
  const now = deps.clock.now();
  const batch = deps.db.batch();
  let writes = 0;
  for (const m of members) {
    const push = attempts.push?.states.get(m.ref.id);
    const email = attempts.email?.states.get(m.ref.id);
    if (push === undefined && email === undefined) continue;
    const nextPush = push ?? m.doc.push;
    const nextEmail = email ?? m.doc.email;
    batch.update(m.ref, {
      ...(push === undefined ? {} : { push }),
      ...(email === undefined ? {} : { email }),
      ...summarize(nextPush, nextEmail, now, m.doc.createdAt),
      updatedAt: Timestamp.fromDate(now),
      ...(bumpVersion ? { version: m.doc.version + 1 } : {}),
    });
    writes++;
  }
  if (writes > 0) await batch.commit();
}
