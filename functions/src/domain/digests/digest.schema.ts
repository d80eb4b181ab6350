import type { Timestamp } from 'firebase-admin/firestore';
import { z } from 'zod';
import { uid } from '../shared.schema';
import type { DigestPeriod } from './digest-time';

export type { DigestPeriod } from './digest-time';

/** Digest markers are kept this long (`expireAt`, Firestore TTL). */
export const DIGEST_RETENTION_DAYS = 35;

export const DIGEST_PERIODS = ['daily', 'weekly'] as const satisfies readonly DigestPeriod[];

/** The Cloud Tasks payload of one user's digest (the queue's only input; validated on dispatch). */
export const digestJobSchema = z.strictObject({
  uid,
  period: z.enum(DIGEST_PERIODS),
  /** The local date the digest is for (its send date in the user's zone). */
  localDate: z.iso.date(),
});
export type DigestJob = z.infer<typeof digestJobSchema>;

export interface DigestScheduleDoc {
  uid: string;
  period: DigestPeriod;
  /** When the next digest is due (UTC); null while this summary is off for the user. */
  nextAt: Timestamp | null;
  /** The local date of that digest. */
  localDate: string | null;
  /** The local date of the last digest enqueued (the next one is for a later date/week). */
  lastLocalDate: string | null;
  /** What `nextAt` was computed from, so an unrelated profile change leaves it alone. */
  timezone: string;
  hour: number;
  weekday: number;
  enabled: boolean;
  updatedAt: Timestamp;
}

export type DigestStatus = 'building' | 'sent' | 'skipped' | 'failed';

export interface DigestMarkerDoc {
  uid: string;
  period: DigestPeriod;
  localDate: string;
  key: string;
  status: DigestStatus;
  /** Why nothing was sent: `empty`, `dailySummary_disabled`, `email_frequency_never`, `no_user`… */
  reason: string | null;
  /** The engine's email outcome (`sent`, `retrying`, `duplicate`…) once handed over. */
  email: string | null;
  attempts: number;
  figures: DigestFigures | null;
  createdAt: Timestamp;
  updatedAt: Timestamp;
  expireAt: Timestamp;
}

/** The numbers a digest reports (docs/scheduling.md, "Daily and weekly summaries", defines each). */
export interface DigestFigures {
  completed: number;
  previousCompleted: number;
  /** Percent change of `completed` over `previousCompleted`, rounded; null when that was 0. */
  changePercent: number | null;
  upcoming: number;
  overdue: number;
}
