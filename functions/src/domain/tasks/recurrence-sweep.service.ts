import { Timestamp, type Firestore, type QueryDocumentSnapshot } from 'firebase-admin/firestore';
import type { Clock } from '../../core/clock';
import { applyShape } from '../../core/query-shape';
import { errorMessage, recordSweepError } from '../scheduling/sweep-errors.service';
import {
  DUE_RECURRENCES_QUERY,
  parseTask,
  recurrenceState,
  spawnFrom,
  updateSource,
  type RecurrenceState,
  type RecurringTask,
} from './recurrence.service';
import { recurrenceRuleProblem, resolveZone } from './recurrence-rule';
import { TASKS } from '../../storage/collections';
import type { TaskScheduleDoc } from '../../storage/documents';
import { taskScheduleDocs } from '../../storage/refs';

/** The on_due recurrence sweep (`spawnRecurringTasks`): the series whose due time has passed. */

export interface DueOccurrencesReport {
  due: number;
  spawned: number;
  duplicates: number;
  ended: number;
  skipped: number;
  /** Series over their owner's share of this run, moved behind the rest (served next run). */
  deferred: number;
  /** Tasks that could not be processed (recorded in `sweepErrors`; quarantined at last). */
  failures: number;
  /** Series evaluated in UTC because their time zone is unknown. */
  zoneFallbacks: number;
  /** A few of the problems met (task ids and messages), for the run's log line. */
  warnings: string[];
  documentsRead: number;
  /** False when the read budget ended the run before every due series was seen. */
  complete: boolean;
}

export interface DueOccurrencesOptions {
  /** Series acted on (spawned, ended, re-armed) per run at most. */
  limit: number;
  /** Series of one owner (`createdBy`) acted on per run at most; the rest are deferred. Default 25. */
  perOwnerLimit?: number;
  /** Due documents read per run at most (deferred ones included). Default 4 × limit. */
  maxReads?: number;
  /** How far a deferred series is moved: behind everything due before the next run. Default 15 min. */
  deferMs?: number;
}

export const RECURRENCE_SWEEP = 'spawnRecurringTasks';
const PAGE_SIZE = 200;
const MAX_WARNINGS = 10;

/**
 * The on_due sweep: for each schedule whose armed `recurrenceNextAt` has passed (oldest first),
 * reads its task (one batched read per page) and creates the next occurrence exactly once (an
 * overlapping sweep computes the same id and its `create()` fails) and disarms it; a schedule
 * whose task is gone is deleted. A task re-dated into the future is re-armed for its new due
 * date instead; one that is no longer on_due, or deleted, is disarmed.
 *
 * Abuse bounds: the next occurrence is the first after max(now, due) (a series due in 1970 gives
 * one task, not a catch-up chain); one owner gets at most `perOwnerLimit` series per run — the
 * others are deferred behind everything else due (`recurrenceNextAt` moved on, the due date it
 * was armed for kept in `recurrenceDeferredDue` so the trigger does not re-arm it back), so no
 * one's many series starve anyone else's; the run pages on until `limit` series were acted on or
 * `maxReads` documents read. Each task is isolated: one that throws is recorded in `sweepErrors`
 * and skipped, and disarmed after a few attempts.
 */
export async function spawnDueOccurrences(
  db: Firestore,
  clock: Clock,
  options: DueOccurrencesOptions,
): Promise<DueOccurrencesReport> {
  const now = clock.now();
  const perOwnerLimit = options.perOwnerLimit ?? 25;
  const maxReads = options.maxReads ?? 4 * options.limit;
  const deferTo = Timestamp.fromMillis(now.getTime() + (options.deferMs ?? 15 * 60_000));
  const report: DueOccurrencesReport = {
    due: 0,
    spawned: 0,
    duplicates: 0,
    ended: 0,
    skipped: 0,
    deferred: 0,
    failures: 0,
    zoneFallbacks: 0,
    warnings: [],
    documentsRead: 0,
    complete: true,
  };
  const warn = (message: string) => {
    if (report.warnings.length < MAX_WARNINGS) report.warnings.push(message);
  };
  const perOwner = new Map<string, number>();
  let acted = 0;
  let cursor: QueryDocumentSnapshot<TaskScheduleDoc> | undefined;
  for (;;) {
    const pageSize = Math.min(PAGE_SIZE, maxReads - report.due);
    let query = applyShape(taskScheduleDocs(db), DUE_RECURRENCES_QUERY, {
      equals: {},
      range: { to: Timestamp.fromMillis(now.getTime() + 1) },
    }).limit(pageSize);
    if (cursor !== undefined) query = query.startAfter(cursor);
    const page = await query.get();
    const taskSnaps =
      page.size === 0
        ? []
        : await db.getAll(...page.docs.map((d) => db.collection(TASKS).doc(d.id)));
    const tasks = new Map(taskSnaps.map((t) => [t.id, t]));
    report.due += page.size;
    report.documentsRead += Math.max(1, page.size) + taskSnaps.length;
    for (const doc of page.docs) {
      if (acted >= options.limit) {
        report.complete = false;
        break;
      }
      const taskSnap = tasks.get(doc.id);
      if (taskSnap?.exists !== true) {
        // The task is gone: so is its schedule.
        await doc.ref.delete();
        report.skipped++;
        continue;
      }
      const task = parseTask(taskSnap.data());
      const owner = task?.createdBy ?? '';
      const share = perOwner.get(owner) ?? 0;
      if (task !== null && share >= perOwnerLimit) {
        await updateSource(db, doc.id, {
          recurrenceNextAt: deferTo,
          recurrenceDeferredDue: task.dueDate,
        });
        report.deferred++;
        continue;
      }
      perOwner.set(owner, share + 1);
      acted++;
      try {
        await visitDue(db, clock, now, doc.id, task, recurrenceState(doc.data()), report);
      } catch (e) {
        report.failures++;
        const { quarantine } = await recordSweepError(
          db,
          clock,
          RECURRENCE_SWEEP,
          taskSnap.ref.path,
          e,
        );
        warn(`${doc.id}: ${errorMessage(e)}`);
        if (quarantine) await updateSource(db, doc.id, { recurrenceNextAt: null });
      }
    }
    cursor = page.docs[page.docs.length - 1];
    if (acted >= options.limit) break;
    if (page.size < pageSize || cursor === undefined) break;
    if (report.due >= maxReads) {
      report.complete = false;
      break;
    }
  }
  return report;
}

/** One due series: spawned, ended, re-armed or disarmed (throws on a failure). */
async function visitDue(
  db: Firestore,
  clock: Clock,
  now: Date,
  taskId: string,
  task: RecurringTask | null,
  state: RecurrenceState,
  report: DueOccurrencesReport,
): Promise<void> {
  const disarm = () => updateSource(db, taskId, { recurrenceNextAt: null });
  if (
    task?.recurrence?.dueMode !== 'on_due' ||
    task.deletedAt !== null ||
    task.dueDate === null ||
    state.nextId !== null ||
    recurrenceRuleProblem(task.recurrence.rule) !== null
  ) {
    await disarm();
    report.skipped++;
    return;
  }
  if (task.dueDate.toMillis() > now.getTime()) {
    await updateSource(db, taskId, { recurrenceNextAt: task.dueDate });
    report.skipped++;
    return;
  }
  if (!resolveZone(task.recurrence.timezone).known) {
    report.zoneFallbacks++;
    if (report.warnings.length < MAX_WARNINGS) {
      report.warnings.push(`${taskId}: unknown time zone, evaluated in UTC`);
    }
  }
  const result = await spawnFrom(db, clock, taskId, task, state);
  if (result.action === 'spawned') report.spawned++;
  else if (result.action === 'duplicate') report.duplicates++;
  else if (result.action === 'ended') report.ended++;
  else {
    await disarm();
    report.skipped++;
  }
}
