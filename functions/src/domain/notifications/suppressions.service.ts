// One file on purpose: the suppression list (webhook events in, lookups and removal out) is one protocol over one collection.
/**
 * The email suppression list and what the SendGrid Event Webhook tells us.
 *
 * `emailSuppressions/{sha256(lower-cased address)}` holds every address we must not email again:
 * hard bounces, addresses SendGrid drops as bounced/invalid/spam-reporting/unsubscribed, spam
 * reports and unsubscribes. Profiles carry what the list says of their address (delivery reads it
 * there; both writers here rewrite them: `suppression-check.service.ts`); an address without a
 * profile (an invitation) is asked about directly ({@link isSuppressed}). Events about a message
 * we sent (custom arg `deliveryId`) also update that delivery record's provider fields.
 *
 * The signature of a batch is checked at the door (`src/http/sendgrid-webhook.routes.ts`); this
 * module gets the parsed JSON and never imports SendGrid.
 */
import {
  Timestamp,
  type DocumentReference,
  type DocumentSnapshot,
  type Firestore,
} from 'firebase-admin/firestore';
import type { Clock } from '../../core/clock';
import { AppError } from '../../core/errors';
import type { Logger } from '../../core/logger';
import {
  KNOWN_EVENTS,
  STATUS_RANK,
  TURNS_EMAIL_OFF,
  docIdOrUndefined,
  eventIdOf,
  sendGridEventSchema,
  statusOf,
  suppressionReasonOf,
  SUPPRESSION_REASONS,
  type AddressEvent,
  type EventBatchSummary,
  type Parsed,
  type SuppressionReason,
} from './sendgrid-events';
import { syncProfilesOf, syncProfilesOfAll } from './suppression-check.service';
import { normaliseEmail, suppressionKey } from './suppression-keys';
import { applyUnsubscribe } from './unsubscribe.service';
import { DELIVERIES, EMAIL_SUPPRESSIONS } from '../../storage/collections';

/**
 * Most events in one webhook request. SendGrid posts a batch every 30 s or at 768 KB; a minimal
 * event is about 100 bytes, so a full 1 MiB body holds fewer than this. Refusing a genuine batch
 * would only make SendGrid retry it for 24 hours and then drop it, so the cap is generous.
 */
export const MAX_EVENTS_PER_BATCH = 10_000;
/** Event ids kept per suppression entry to recognise redelivered batches (newest kept). */
export const MAX_EVENT_IDS_PER_ENTRY = 20;
/** Firestore round trips in flight at once while one batch is processed. */
const CONCURRENCY = 8;
/** Documents read per `getAll` and written per batched write. */
const CHUNK = 200;

/** The `emailSuppressions/{id}` document. */
export interface SuppressionDoc {
  /** Lower-cased, trimmed address. */
  email: string;
  /** Reason of the latest event. */
  reason: SuppressionReason;
  /** SendGrid event name of the latest event (`bounce`, `dropped`, `spamreport`, …). */
  event: string;
  /** Time of the first and latest event (SendGrid's event time). */
  firstAt: Timestamp;
  lastAt: Timestamp;
  /** The latest {@link MAX_EVENT_IDS_PER_ENTRY} `sg_event_id`s applied, oldest first. */
  sgEventIds: string[];
  createdAt: Timestamp;
  updatedAt: Timestamp;
}

function suppressionRef(db: Firestore, email: string): DocumentReference {
  return db.collection(EMAIL_SUPPRESSIONS).doc(suppressionKey(email));
}

/** Whether the engine must not email `email`, and why. One document read. */
export async function isSuppressed(
  db: Firestore,
  email: string,
): Promise<{ suppressed: boolean; reason?: SuppressionReason }> {
  const snap = await suppressionRef(db, email).get();
  if (!snap.exists) return { suppressed: false };
  const reason: unknown = snap.get('reason');
  return { suppressed: true, reason: SUPPRESSION_REASONS.find((r) => r === reason) };
}

/**
 * Lifts the suppression of `email` (an operator, after the address was fixed or the user asked)
 * and rewrites the profiles that trust it (also when the entry is already gone: a retry finishes).
 * SendGrid keeps its own bounce/spam/unsubscribe lists: remove the address there too, or SendGrid
 * drops the next message and the webhook suppresses it again.
 */
export async function removeSuppression(
  db: Firestore,
  email: string,
): Promise<{ removed: boolean }> {
  const ref = suppressionRef(db, email);
  const snap = await ref.get();
  if (snap.exists) await ref.delete();
  await syncProfilesOf(db, email);
  return { removed: snap.exists };
}

/** Runs `fn` over `items`, at most `limit` at a time; rejects with the first failure. */
async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * Applies one verified SendGrid Event Webhook batch.
 *
 * - bounce (not `blocked`), dropped as bounced/invalid/spam/unsubscribed, spamreport, unsubscribe
 *   and group_unsubscribe put the address on the suppression list; spamreport/unsubscribe with a
 *   `userId` custom arg also turn that user's `emailNotifications` off.
 * - the profiles whose suppression state is about such an address are rewritten to say so.
 * - any known event with a `deliveryId` custom arg updates `deliveries/{deliveryId}` (provider
 *   fields only, merged; a record that is not there is left alone).
 *
 * Idempotent per `sg_event_id`: SendGrid redelivers a batch until it gets a 2xx (for 24 hours),
 * and a redelivered event changes nothing — in particular it does not turn email off again for
 * a user who turned it back on. Throws AppError VALIDATION_ERROR when `body` is not an array (of
 * at most {@link MAX_EVENTS_PER_BATCH}); single malformed or unknown events are skipped and
 * counted, so one odd event does not make SendGrid retry the whole batch forever. Firestore
 * failures propagate (the door answers 5xx and SendGrid retries).
 */
export async function recordSendGridEvents(
  db: Firestore,
  clock: Clock,
  logger: Logger,
  body: unknown,
): Promise<EventBatchSummary> {
  if (!Array.isArray(body)) {
    throw AppError.validation([{ field: '', message: 'must be an array of events' }]);
  }
  if (body.length > MAX_EVENTS_PER_BATCH) {
    throw AppError.validation([
      { field: '', message: `must hold at most ${MAX_EVENTS_PER_BATCH} events` },
    ]);
  }
  const summary: EventBatchSummary = {
    received: body.length,
    invalid: 0,
    ignored: 0,
    suppressionEvents: 0,
    duplicateEvents: 0,
    suppressionsCreated: 0,
    usersUnsubscribed: 0,
    profilesUpdated: 0,
    deliveriesUpdated: 0,
    deliveriesMissing: 0,
  };
  const byEmail = new Map<string, AddressEvent[]>();
  const byDelivery = new Map<string, Parsed[]>();
  for (const [index, raw] of body.entries()) {
    const result = sendGridEventSchema.safeParse(raw);
    if (!result.success) {
      summary.invalid++;
      // A few examples say what is wrong; the count is in the summary line.
      if (summary.invalid <= 3) {
        const issue = result.error.issues[0];
        logger.warn('SendGrid event skipped: invalid', {
          index,
          field: issue?.path.join('.'),
          problem: issue?.message,
        });
      }
      continue;
    }
    const event = result.data;
    if (!KNOWN_EVENTS.has(event.event)) {
      summary.ignored++;
      continue;
    }
    const parsed: Parsed = {
      event,
      id: eventIdOf(event),
      at: Timestamp.fromMillis(Math.floor(event.timestamp) * 1000),
    };
    const reason = suppressionReasonOf(event);
    if (reason !== null) {
      const email = normaliseEmail(event.email);
      const list = byEmail.get(email) ?? [];
      list.push({ reason, parsed });
      byEmail.set(email, list);
    }
    const deliveryId = docIdOrUndefined(event.deliveryId);
    if (deliveryId !== undefined) {
      const list = byDelivery.get(deliveryId) ?? [];
      list.push(parsed);
      byDelivery.set(deliveryId, list);
    }
  }

  // Read every entry first and plan the writes; the user's own "stop emailing me" is applied
  // before the entries are written: if writing them then fails, the redelivered batch still finds
  // these events new and turns the preference off again (idempotent). The other way round, a
  // failure in between would lose the preference change for good.
  const plans = await planSuppressions(db, clock, [...byEmail.entries()]);
  const toUnsubscribe = new Set<string>();
  for (const plan of plans) {
    summary.suppressionEvents += plan.fresh.length;
    summary.duplicateEvents += plan.duplicates;
    if (plan.write?.kind === 'create') summary.suppressionsCreated++;
    for (const { parsed } of plan.fresh) {
      const uid = docIdOrUndefined(parsed.event.userId);
      if (TURNS_EMAIL_OFF.has(parsed.event.event) && uid !== undefined) {
        toUnsubscribe.add(uid);
      }
    }
  }
  await forEachLimited([...toUnsubscribe], CONCURRENCY, async (uid) => {
    const result = await applyUnsubscribe(db, clock, { uid, scope: 'email' }, 'webhook');
    if (result.changed.length > 0) summary.usersUnsubscribed++;
  });
  await writeSuppressions(db, plans);
  // Then the profiles that trust these addresses — after the entries, so a delivery's lookup
  // that commits in between is found here; for every address of the batch, new events or not,
  // so a redelivered batch finishes what a failure here left undone.
  summary.profilesUpdated = await syncProfilesOfAll(db, [...byEmail.keys()]);

  const deliveries = [...byDelivery.entries()];
  const chunks: (typeof deliveries)[] = [];
  for (let i = 0; i < deliveries.length; i += CHUNK) {
    chunks.push(deliveries.slice(i, i + CHUNK));
  }
  await forEachLimited(chunks, CONCURRENCY, async (chunk) => {
    const counts = await updateDeliveries(db, clock, chunk);
    summary.deliveriesUpdated += counts.updated;
    summary.deliveriesMissing += counts.missing;
  });
  return summary;
}

/** Ids an entry already holds (absent entry: none). */
function seenIds(snap: DocumentSnapshot): Set<string> {
  const ids: unknown = snap.get('sgEventIds');
  return new Set(Array.isArray(ids) ? ids.filter((id) => typeof id === 'string') : []);
}

/** What one address's entry needs: its new events and the write (none when all were seen). */
interface SuppressionPlan {
  ref: DocumentReference;
  fresh: AddressEvent[];
  duplicates: number;
  write:
    | { kind: 'create'; doc: SuppressionDoc }
    | { kind: 'update'; data: Record<string, unknown>; lastUpdateTime: Timestamp }
    | null;
}

/** The write that adds `events` (those not seen yet) to the entry read as `snap`. */
function planFor(
  snap: DocumentSnapshot,
  email: string,
  events: readonly AddressEvent[],
  now: Timestamp,
): SuppressionPlan {
  const seen = seenIds(snap);
  const previous = [...seen];
  const fresh: AddressEvent[] = [];
  for (const e of events) {
    if (seen.has(e.parsed.id)) continue;
    seen.add(e.parsed.id);
    fresh.push(e);
  }
  const plan = { ref: snap.ref, fresh, duplicates: events.length - fresh.length };
  if (fresh.length === 0) return { ...plan, write: null };

  const ordered = [...fresh].sort((a, b) => a.parsed.at.toMillis() - b.parsed.at.toMillis());
  const first = ordered[0] as AddressEvent;
  const latest = ordered[ordered.length - 1] as AddressEvent;
  const ids = [...previous, ...fresh.map((e) => e.parsed.id)].slice(-MAX_EVENT_IDS_PER_ENTRY);
  if (!snap.exists || snap.updateTime === undefined) {
    const doc: SuppressionDoc = {
      email,
      reason: latest.reason,
      event: latest.parsed.event.event,
      firstAt: first.parsed.at,
      lastAt: latest.parsed.at,
      sgEventIds: ids,
      createdAt: now,
      updatedAt: now,
    };
    return { ...plan, write: { kind: 'create', doc } };
  }
  const data: Record<string, unknown> = { sgEventIds: ids, updatedAt: now };
  const lastAt: unknown = snap.get('lastAt');
  if (!(lastAt instanceof Timestamp) || latest.parsed.at.toMillis() >= lastAt.toMillis()) {
    data.reason = latest.reason;
    data.event = latest.parsed.event.event;
    data.lastAt = latest.parsed.at;
  }
  const firstAt: unknown = snap.get('firstAt');
  if (!(firstAt instanceof Timestamp) || first.parsed.at.toMillis() < firstAt.toMillis()) {
    data.firstAt = first.parsed.at;
  }
  return { ...plan, write: { kind: 'update', data, lastUpdateTime: snap.updateTime } };
}

/** Reads the entries of all addresses (one `getAll` per {@link CHUNK}) and plans their writes. */
async function planSuppressions(
  db: Firestore,
  clock: Clock,
  groups: readonly (readonly [string, readonly AddressEvent[]])[],
): Promise<SuppressionPlan[]> {
  const now = Timestamp.fromDate(clock.now());
  const plans: SuppressionPlan[] = [];
  for (let i = 0; i < groups.length; i += CHUNK) {
    const chunk = groups.slice(i, i + CHUNK);
    const snaps = await db.getAll(...chunk.map(([email]) => suppressionRef(db, email)));
    chunk.forEach(([email, events], j) => {
      plans.push(planFor(snaps[j] as DocumentSnapshot, email, events, now));
    });
  }
  return plans;
}

/**
 * Writes the planned entries, one batched write per {@link CHUNK}. Optimistic, without a
 * transaction per address (a bounce storm brings hundreds of addresses in one batch): a new entry
 * is written with `create()` and a changed one with a `lastUpdateTime` precondition, so a
 * concurrent webhook request that wrote the same entry in between makes this batch fail instead of
 * losing its event ids; the request answers 5xx and SendGrid's retry re-reads and applies only
 * what is still new. (The embedded test server ignores `lastUpdateTime`; `create()` it
 * enforces.)
 */
async function writeSuppressions(db: Firestore, plans: readonly SuppressionPlan[]): Promise<void> {
  const writes = plans.filter((p) => p.write !== null);
  for (let i = 0; i < writes.length; i += CHUNK) {
    const batch = db.batch();
    for (const { ref, write } of writes.slice(i, i + CHUNK)) {
      if (write?.kind === 'create') batch.create(ref, write.doc);
      else if (write?.kind === 'update') {
        batch.update(ref, write.data, { lastUpdateTime: write.lastUpdateTime });
      }
    }
    await batch.commit();
  }
}

/**
 * Merges events into delivery records that exist: `providerEvents.<status>` = time of the latest
 * such event, `providerStatus` = the furthest status so far ({@link STATUS_RANK}),
 * `providerReason` = the reason of a failure or deferral, `providerUpdatedAt`. One `getAll` and
 * one batched write per chunk; records that are not there are counted and left alone.
 */
async function updateDeliveries(
  db: Firestore,
  clock: Clock,
  chunk: readonly (readonly [string, Parsed[]])[],
): Promise<{ updated: number; missing: number }> {
  const refs = chunk.map(([id]) => db.collection(DELIVERIES).doc(id));
  const snaps: DocumentSnapshot[] = await db.getAll(...refs);
  const now = Timestamp.fromDate(clock.now());
  const batch = db.batch();
  let updated = 0;
  let missing = 0;
  chunk.forEach(([, events], i) => {
    const snap = snaps[i];
    if (snap === undefined || !snap.exists) {
      missing++;
      return;
    }
    const update: Record<string, unknown> = { providerUpdatedAt: now };
    const stored: unknown = snap.get('providerStatus');
    let status = typeof stored === 'string' ? stored : null;
    const latestAt = new Map<string, Timestamp>();
    for (const { event, at } of events) {
      const name = statusOf(event);
      const prev = latestAt.get(name);
      if (prev === undefined || at.toMillis() > prev.toMillis()) latestAt.set(name, at);
      if ((STATUS_RANK[name] ?? 0) >= (status === null ? 0 : (STATUS_RANK[status] ?? 0))) {
        status = name;
        const why = event.reason ?? event.response;
        if (STATUS_RANK[name] === 8 || name === 'deferred') {
          if (why !== undefined) update.providerReason = why.slice(0, 1000);
        }
      }
    }
    for (const [name, at] of latestAt) update[`providerEvents.${name}`] = at;
    if (status !== null) update.providerStatus = status;
    batch.update(snap.ref, update);
    updated++;
  });
  if (updated > 0) await batch.commit();
  return { updated, missing };
}
