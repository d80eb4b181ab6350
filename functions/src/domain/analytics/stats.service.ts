import { FieldValue, Timestamp, type DocumentData, type Firestore } from 'firebase-admin/firestore';
import { USER_STATS, USER_STATS_DAYS } from '../../storage/collections';
import type { DayStats, StatsDelta } from './stats-day';

/** The day documents of the per-user statistics (`stats-day.ts`): where they live, how they are written. */

/** `userStats/{userId}/days/{date}`. */
export function dayRef(db: Firestore, userId: string, date: string) {
  return db.collection(USER_STATS).doc(userId).collection(USER_STATS_DAYS).doc(date);
}

/**
 * The set-merge of one event into its day document: counters by `increment`, the project by
 * `arrayUnion` (only when `withProject`, i.e. the day has room or already has it).
 */
export function dayIncrement(
  userId: string,
  date: string,
  delta: StatsDelta,
  withProject: boolean,
  now: Date,
): DocumentData {
  const update: DocumentData = { userId, date, updatedAt: Timestamp.fromDate(now) };
  for (const [counter, n] of Object.entries(delta.counters)) {
    if (n !== 0) update[counter] = FieldValue.increment(n);
  }
  if (withProject && delta.projectId !== undefined) {
    update.projects = FieldValue.arrayUnion(delta.projectId);
  }
  return update;
}

/** The stored form of a recomputed day (the backfill writes it whole). */
export function dayDocument(userId: string, day: DayStats, now: Date): DocumentData {
  const { date, projects, ...counters } = day;
  return { userId, date, ...counters, projects, updatedAt: Timestamp.fromDate(now) };
}
