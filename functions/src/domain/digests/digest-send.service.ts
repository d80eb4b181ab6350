import { Timestamp, type DocumentReference } from 'firebase-admin/firestore';
import type { NotificationIntent } from '../notifications/channels';
import { channelAllowed } from '../notifications/delivery-policy';
import {
  deliverNotification,
  loadRecipient,
  type NotifierDeps,
} from '../notifications/delivery.service';
import {
  DIGEST_RETENTION_DAYS,
  DIGEST_PERIODS,
  type DigestFigures,
  type DigestJob,
  type DigestMarkerDoc,
  type DigestStatus,
} from './digest.schema';
import {
  digestFigures,
  digestInsight,
  isEmptyDigest,
  tasksDigestContent,
  type DigestContentSource,
  type DigestTask,
} from './digest-content.service';
import { DIGEST_CATEGORY, scheduleDocId } from './digest-schedule.service';
import { digestIntentKey } from './digest-sweep.service';
import { digestKey, digestWindow } from './digest-time';
import { safeZone } from '../../core/time-zone';
import { DIGEST_SCHEDULE } from '../../storage/collections';
import { digestMarkerRef } from '../../storage/refs';
import { isAlreadyExists } from '../../storage/already-exists';

/**
 * One user's digest (the `sendDigest` task-queue job): the personalised summary email
 * — tasks completed in the period, deadlines in the next 7 days, overdue tasks, and a productivity
 * insight with the trend against the previous period — handed to the notification engine as an
 * email-only `daily_summary` / `weekly_summary`.
 *
 * Claim first, act second, record third: `digests/{uid}_{period}_{key}` is created with
 * `create()` before anything is read; a job delivered again finds it finished and does nothing.
 * A marker left `building` (the previous attempt died) is built again: the engine delivers the
 * email once per intent key (`digest:{period}:{uid}:{key}`), so a rebuild cannot double it.
 * The email goes out only if the user still wants it (preferences read now, not at sweep time)
 * and has something to read: an empty summary is recorded as skipped, not sent.
 */

export type DigestOutcome = 'sent' | 'skipped' | 'failed' | 'duplicate';

export interface DigestSendResult {
  outcome: DigestOutcome;
  /** Why nothing was sent (`empty`, a preference, `no_user`…), or the engine's email outcome. */
  reason: string | null;
  figures: DigestFigures | null;
}

export interface DigestSendOptions {
  /** Where the figures come from (default: the user's tasks). */
  content?: DigestContentSource;
}

function markerId(job: DigestJob): string {
  return `${job.uid}_${job.period}_${digestKey(job.period, job.localDate)}`;
}

/** How long a `building` marker belongs to the attempt that claimed it. */
export const BUILD_LEASE_MS = 30_000;

/** Claims the digest: true when this attempt should build it. */
async function claim(
  ref: DocumentReference<DigestMarkerDoc>,
  job: DigestJob,
  now: Date,
): Promise<boolean> {
  const ts = Timestamp.fromDate(now);
  const marker: DigestMarkerDoc = {
    uid: job.uid,
    period: job.period,
    localDate: job.localDate,
    key: digestKey(job.period, job.localDate),
    status: 'building',
    reason: null,
    email: null,
    attempts: 1,
    figures: null,
    createdAt: ts,
    updatedAt: ts,
    expireAt: Timestamp.fromMillis(now.getTime() + DIGEST_RETENTION_DAYS * 86_400_000),
  };
  try {
    await ref.create(marker);
    return true;
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
  }
  const existing = (await ref.get()).data();
  if (existing?.status !== 'building') return false;
  // Still being built by another delivery of the same job (Cloud Tasks delivers at least once):
  // leave it. Only a claim older than BUILD_LEASE_MS is from an attempt that died; the lease is
  // shorter than the queue's minimum retry backoff (60 s), so the retry of a crashed attempt
  // always rebuilds (and the engine's key still sends the email once).
  if (now.getTime() - existing.updatedAt.toMillis() < BUILD_LEASE_MS) return false;
  await ref.update({
    attempts: existing.attempts + 1,
    updatedAt: ts,
  });
  return true;
}

const asListed = (baseUrl: string) => (t: DigestTask) => ({
  title: t.title,
  url: `${baseUrl}/tasks/${encodeURIComponent(t.id)}`,
});

/** Builds and sends one user's digest (see the module comment). Safe to run any number of times. */
export async function sendUserDigest(
  notifier: NotifierDeps,
  job: DigestJob,
  options: DigestSendOptions = {},
): Promise<DigestSendResult> {
  const { db, clock } = notifier;
  const ref = digestMarkerRef(db, markerId(job));
  const log = notifier.logger.child({
    userId: job.uid,
    period: job.period,
    localDate: job.localDate,
  });
  if (!(await claim(ref, job, clock.now()))) {
    return { outcome: 'duplicate', reason: null, figures: null };
  }
  const finish = async (
    status: Exclude<DigestStatus, 'building'>,
    reason: string | null,
    figures: DigestFigures | null,
    email: string | null = null,
  ): Promise<DigestSendResult> => {
    await ref.update({
      status,
      reason,
      figures,
      email,
      updatedAt: Timestamp.fromDate(clock.now()),
    });
    log.info(status === 'sent' ? 'Digest sent' : `Digest ${status}`, { reason, ...figures });
    return { outcome: status, reason, figures };
  };

  const recipient = await loadRecipient(db, job.uid);
  if (!recipient.exists) {
    // The account is gone: stop scheduling it.
    await Promise.all(
      DIGEST_PERIODS.map((p) =>
        db.collection(DIGEST_SCHEDULE).doc(scheduleDocId(job.uid, p)).delete(),
      ),
    );
    return finish('skipped', 'no_user', null);
  }
  const category = DIGEST_CATEGORY[job.period];
  const decision = channelAllowed(recipient.prefs, category, 'email');
  if (!decision.send) return finish('skipped', decision.reason, null);
  if (recipient.email === null) return finish('skipped', 'no_email', null);

  const now = clock.now();
  const zone = safeZone(recipient.timezone);
  const window = digestWindow(job.period, job.localDate, zone);
  const content = await (options.content ?? tasksDigestContent)(db, job.uid, window, now);
  const figures = digestFigures(content);
  if (isEmptyDigest(figures)) return finish('skipped', 'empty', figures);

  const insight = digestInsight(figures, window);
  const listed = asListed(notifier.settings.publicBaseUrl);
  const due = (t: DigestTask) => ({ ...listed(t), dueDate: t.at ?? now });
  const name = job.period === 'daily' ? 'Daily' : 'Weekly';
  const intent: NotificationIntent = {
    key: digestIntentKey(job),
    recipientId: job.uid,
    category,
    title: `${name} summary: ${window.label}`,
    body: insight,
    groupKey: `summary:${job.period}`,
    data: { period: job.period, localDate: job.localDate },
    channels: { inbox: false, push: false, email: true },
    email: {
      kind: 'summary',
      period: job.period,
      periodLabel: window.label,
      completed: content.completed.items.map(listed),
      upcoming: content.upcoming.items.map(due),
      overdue: content.overdue.items.map(due),
      insight,
      timeZone: zone,
      completedWhen: window.when,
      totals: {
        completed: figures.completed,
        upcoming: figures.upcoming,
        overdue: figures.overdue,
      },
    },
  };
  const delivered = await deliverNotification(notifier, intent, recipient);
  const email = delivered.email;
  if (email === 'duplicate') {
    // Another attempt handed this digest to the engine; it records the outcome unless it died
    // before it could (the marker still says so).
    if ((await ref.get()).data()?.status !== 'building') {
      return { outcome: 'duplicate', reason: null, figures };
    }
    return finish('sent', null, figures, email);
  }
  if (email.startsWith('skipped:')) return finish('skipped', email.slice(8), figures, email);
  if (email === 'failed') return finish('failed', 'email_failed', figures, email);
  // Sent, or handed to the engine's retries (retrying, held).
  return finish('sent', null, figures, email);
}
