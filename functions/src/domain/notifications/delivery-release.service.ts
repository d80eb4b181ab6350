import { Timestamp } from 'firebase-admin/firestore';
import { applyShape } from '../../core/query-shape';
import { DeliveryError } from './channels';
import { COALESCED, type Channel } from './delivery-policy';
import {
  BURST_QUERY,
  DUE_DELIVERIES_QUERY,
  LEASE_MS,
  MAX_COALESCED,
  STUCK_DELIVERIES_QUERY,
  type ChannelOutcome,
  type DeliveryDoc,
  type Member,
  type NotifierDeps,
  loadRecipient,
} from './delivery-records.service';
import {
  attemptChannel,
  failure,
  recordStates,
  type ChannelAttempt,
} from './delivery-send.service';
import { DELIVERIES, CLAIMS } from '../../storage/collections';
import { isAlreadyExists } from '../../storage/already-exists';
import { deliveryClaimRef, deliveryDocs } from '../../storage/refs';

/**
 * The releaser: sends what is due — held pushes whose quiet hours ended, coalesced follow-ups
 * whose window closed, retries whose backoff elapsed — and gives records whose attempt died
 * (lease expired) another one. Reads only due records (indexed range queries, `limit` each).
 * Overlapping runs are safe: each attempt is claimed by creating `claims/v{version}`.
 */

export interface ReleaseReport {
  due: number;
  recovered: number;
  groups: number;
  /** Messages (one per group and channel) by outcome. */
  sent: number;
  held: number;
  retrying: number;
  failed: number;
  skipped: number;
  /** Records claimed by another releaser meanwhile. */
  contended: number;
  documentsRead: number;
}

const CHANNELS: readonly Channel[] = ['push', 'email'];

function dueChannels(doc: DeliveryDoc, now: Date, status: 'pending' | 'sending'): Channel[] {
  return CHANNELS.filter((c) => {
    const s = doc[c];
    if (s === null || s.status !== status) return false;
    return status === 'sending' || s.dueAt.toMillis() <= now.getTime();
  });
}

async function lostAttempt(deps: NotifierDeps, m: Member, status: 'pending' | 'sending') {
  const error = new DeliveryError(
    'transient',
    'lease_expired',
    'The attempt did not finish in time (instance lost?)',
  );
  const attempts: Partial<Record<Channel, ChannelAttempt>> = {};
  for (const c of dueChannels(m.doc, deps.clock.now(), status))
    attempts[c] = failure(deps, c, [m], error);
  await recordStates(deps, [m], attempts, true);
}

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
    // Unchecked on purpose: a direct send in flight (`messaging.service.ts`, its own shape) has
    // status `sending` too, and a checked read would throw on it instead of recovering it as today.
    await lostAttempt(deps, { ref: snap.ref, doc: snap.data() as DeliveryDoc }, 'sending');
    report.recovered++;
  }

  const due = await applyShape(deliveryDocs(db), DUE_DELIVERIES_QUERY, {
    equals: { status: 'pending' },
    range: until,
  })
    .limit(limit)
    .get();
  report.documentsRead += Math.max(1, due.size);
  report.due = due.size;

  // One group per (recipient, groupKey) for coalesced categories: a burst goes out as one message
  // per channel. Other records are their own group.
  const seeds = new Map<string, Member>();
  for (const snap of due.docs) {
    const doc = snap.data();
    const key = COALESCED.has(doc.category)
      ? `${doc.recipientId}\n${doc.groupKey}`
      : `${doc.recipientId}\n${snap.id}`;
    if (!seeds.has(key)) seeds.set(key, { ref: snap.ref, doc });
  }
  report.groups = seeds.size;
  const queue = [...seeds.values()];
  const workers = Array.from({ length: Math.min(options.concurrency ?? 8, queue.length) }, () =>
    (async () => {
      for (let seed = queue.shift(); seed !== undefined; seed = queue.shift()) {
        const { outcomes, read, contended } = await releaseGroup(deps, seed);
        report.documentsRead += read;
        report.contended += contended;
        for (const outcome of outcomes) {
          if (outcome === 'sent') report.sent++;
          else if (outcome === 'held') report.held++;
          else if (outcome === 'retrying') report.retrying++;
          else if (outcome === 'failed') report.failed++;
          else if (outcome !== 'duplicate') report.skipped++;
        }
      }
    })(),
  );
  await Promise.all(workers);
  return report;
}

async function releaseGroup(
  deps: NotifierDeps,
  seed: Member,
): Promise<{ outcomes: ChannelOutcome[]; read: number; contended: number }> {
  const { db } = deps;
  const now = deps.clock.now();
  let read = 0;
  let members: Member[] = [seed];
  if (COALESCED.has(seed.doc.category)) {
    const burst = await applyShape(deliveryDocs(db), BURST_QUERY, {
      equals: { recipientId: seed.doc.recipientId, groupKey: seed.doc.groupKey, status: 'pending' },
    })
      .limit(MAX_COALESCED)
      .get();
    read += Math.max(1, burst.size);
    members = burst.docs
      .map((s) => ({ ref: s.ref, doc: s.data() }))
      .filter((m) => m.doc.dueAt.toMillis() <= now.getTime());
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
  if (claimed.length === 0) return { outcomes: ['duplicate'], read, contended };
  const recipient = await loadRecipient(db, seed.doc.recipientId);
  read += 1;
  const attempts: Partial<Record<Channel, ChannelAttempt>> = {};
  await Promise.all(
    CHANNELS.map(async (channel) => {
      const ready = claimed.filter((m) => dueChannels(m.doc, now, 'pending').includes(channel));
      if (ready.length > 0)
        attempts[channel] = await attemptChannel(deps, channel, ready, recipient);
    }),
  );
  await recordStates(deps, claimed, attempts, true);
  const outcomes = CHANNELS.flatMap((c) => {
    const outcome = attempts[c]?.outcome;
    return outcome === undefined ? [] : [outcome];
  });
  return { outcomes, read, contended };
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
    await claimRef.create({ claimedAt: Timestamp.fromDate(now), version: m.doc.version });
    return { ok: true, read: 0 };
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
  }
  const claimedAt = (await deliveryClaimRef(deps.db, m.ref.id, m.doc.version).get()).data()
    ?.claimedAt;
  if (claimedAt !== undefined && now.getTime() - claimedAt.toMillis() >= LEASE_MS)
    await lostAttempt(deps, m, 'pending');
  return { ok: false, read: 1 };
}
