import { emptyReport, type SweepOptions, type SweepReport } from './reminder-sweep-report';
import {
  Timestamp,
  type DocumentSnapshot,
  type QueryDocumentSnapshot,
} from 'firebase-admin/firestore';
import { applyShape, type QueryShape } from '../../core/query-shape';
import {
  deliverNotification,
  loadRecipient,
  type DeliverResult,
  type NotifierDeps,
  type Recipient,
} from '../notifications/delivery.service';
import { errorMessage, recordSweepError } from '../scheduling/sweep-errors.service';
import {
  isArmable,
  overdueVisit,
  planReminders,
  readBookkeeping,
  reminderVisit,
  taskView,
  type ReminderState,
  type TaskView,
} from './reminder-plan';
import { overdueFields, reminderFields } from '../../storage/task-schedule-fields';
import { TASK_SCHEDULES, TASKS } from '../../storage/collections';
import type { TaskScheduleDoc } from '../../storage/documents';
import { taskScheduleDocs } from '../../storage/refs';
import { overdueIntent, reminderIntent } from './reminder-intents';

/**
 * The two deadline sweeps: due-date reminders (every 5 minutes) and overdue notices (every 30
 * minutes). Each reads only the schedules that are due — one range query on a server-owned
 * instant of `taskSchedules/{taskId}`, `nextReminderAt` / `overdueCheckAt` ≤ now, paged by cursor
 * — then those schedules' tasks (one batched read per page: the task as it is now decides, never a
 * copy), and hands each notification to the engine with a deterministic idempotency key, so
 * overlapping or repeated runs (Cloud Scheduler retries, a slow run overlapping the next tick, a
 * run-now) deliver each one exactly once.
 *
 * After a visit the sweep moves the schedule's instant forward (or to null) with an update
 * conditioned on the version of the schedule it read (`lastUpdateTime`): the task trigger re-arms
 * a task edited meanwhile in a transaction over the task and its schedule — if it wrote first, the
 * sweep's update is refused and the trigger's plan stands; if it writes after, it plans from the
 * task as it is then and the history the sweep recorded — and an overlapping run's second write
 * is refused. (The embedded test server ignores that precondition; the keys keep delivery exactly
 * once there too.) A schedule whose task is gone is deleted.
 */

/** Reminder sweep: schedules whose next reminder instant has come. */
export const DUE_REMINDERS_QUERY: QueryShape = {
  collection: TASK_SCHEDULES,
  equals: [],
  range: 'nextReminderAt',
  orderBy: [['nextReminderAt', 'asc']],
};

/** Overdue sweep: schedules whose overdue check instant has come. */
export const OVERDUE_CHECKS_QUERY: QueryShape = {
  collection: TASK_SCHEDULES,
  equals: [],
  range: 'overdueCheckAt',
  orderBy: [['overdueCheckAt', 'asc']],
};

interface Visit {
  profilesRead: number;
  delivered: DeliverResult[];
  disarmed?: boolean;
  rearmed?: boolean;
  /** The bookkeeping update, or null for none. */
  update: Record<string, unknown> | null;
}

type ScheduleSnapshot = QueryDocumentSnapshot<TaskScheduleDoc>;

/** One due item: its schedule (id = the task's id) and its task as read now. */
type Visitor = (schedule: ScheduleSnapshot, task: TaskView, nowMs: number) => Promise<Visit>;

const FAILED_PRECONDITION = 9;
const isFailedPrecondition = (e: unknown) =>
  typeof e === 'object' && e !== null && 'code' in e && e.code === FAILED_PRECONDITION;

/**
 * Writes a visit's bookkeeping (or, with `null`, deletes the schedule) only over the version of
 * the schedule the sweep read.
 */
async function writeBookkeeping(
  snap: DocumentSnapshot<TaskScheduleDoc>,
  update: Record<string, unknown> | null,
): Promise<'written' | 'contended'> {
  try {
    if (update === null) await snap.ref.delete({ lastUpdateTime: snap.updateTime });
    else await snap.ref.update(update, { lastUpdateTime: snap.updateTime });
    return 'written';
  } catch (e) {
    if (isFailedPrecondition(e)) return 'contended';
    throw e;
  }
}

/**
 * Pages through `shape` (`field` ≤ now, oldest first), reads the page's tasks in one batch and
 * visits each, a few at a time; a page is fetched after the cursor of the last, so a task whose
 * visit failed (instant not moved) is not met again in the same run. Logs one summary line.
 */
async function sweep(
  deps: NotifierDeps,
  job: SweepReport['job'],
  shape: QueryShape,
  options: SweepOptions,
  visitor: Visitor,
): Promise<SweepReport> {
  const started = performance.now();
  const now = options.now ?? deps.clock.now();
  const nowMs = now.getTime();
  const limit = options.limit ?? 200;
  const concurrency = options.concurrency ?? 10;
  const deadline = started + (options.budgetMs ?? 240_000);
  const report = emptyReport(job, now);
  const log = deps.logger.child({ job });

  let cursor: ScheduleSnapshot | undefined;
  for (;;) {
    let query = applyShape(taskScheduleDocs(deps.db), shape, {
      equals: {},
      range: { to: Timestamp.fromMillis(nowMs + 1) },
    }).limit(limit);
    if (cursor !== undefined) query = query.startAfter(cursor);
    const page = await query.get();
    const taskSnaps =
      page.size === 0
        ? []
        : await deps.db.getAll(...page.docs.map((d) => deps.db.collection(TASKS).doc(d.id)));
    const tasks = new Map(taskSnaps.map((t) => [t.id, t.data()]));
    report.pages++;
    report.schedulesRead += page.size;
    report.tasksRead += taskSnaps.length;
    report.documentsRead += Math.max(1, page.size) + taskSnaps.length;

    const queue = [...page.docs];
    const lanes = Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
      for (let snap = queue.shift(); snap !== undefined; snap = queue.shift()) {
        try {
          const data = tasks.get(snap.id);
          if (data === undefined) {
            // The task is gone: so is its schedule.
            report.disarmed++;
            if ((await writeBookkeeping(snap, null)) === 'contended') report.contended++;
            continue;
          }
          const visit = await visitor(snap, taskView(data), nowMs);
          report.profilesRead += visit.profilesRead;
          report.documentsRead += visit.profilesRead;
          for (const r of visit.delivered) {
            if (r.inbox === 'created') report.acted++;
            else if (r.inbox === 'duplicate') report.duplicates++;
            else report.skipped++;
          }
          if (visit.disarmed === true) report.disarmed++;
          if (visit.rearmed === true) report.rearmed++;
          if (visit.update !== null && (await writeBookkeeping(snap, visit.update)) === 'contended')
            report.contended++;
        } catch (e) {
          report.failures++;
          // Recorded (under the task's path); after a few failed runs the task leaves this
          // sweep's queue (its instant cleared), so it cannot sort first forever.
          const { quarantine } = await recordSweepError(
            deps.db,
            deps.clock,
            job,
            `${TASKS}/${snap.id}`,
            e,
          );
          if (quarantine) await snap.ref.update({ [shape.range ?? 'nextReminderAt']: null });
          log.warn(
            quarantine
              ? 'Sweep could not handle a task again; it is quarantined'
              : 'Sweep could not handle a task; the next run retries it',
            { taskId: snap.id, error: errorMessage(e) },
          );
        }
      }
    });
    await Promise.all(lanes);

    cursor = page.docs[page.docs.length - 1];
    if (page.size < limit || cursor === undefined) break;
    if (performance.now() >= deadline) {
      report.complete = false;
      break;
    }
  }
  report.durationMs = Math.round(performance.now() - started);
  const line = job === 'sendDueReminders' ? 'Reminder sweep finished' : 'Overdue sweep finished';
  if (report.failures > 0 || !report.complete) log.warn(line, { ...report });
  else log.info(line, { ...report });
  return report;
}

/**
 * The reminder sweep (every 5 minutes): for each task whose `nextReminderAt` has come, checks it
 * is still open, assigned, not deleted and planned for its current due date and assignee (else
 * clears or re-plans it: a task completed, deleted or re-dated in between is never reminded for
 * the stale time), delivers the reminder of the lead time that has come — key
 * `reminder:{taskId}:{dueMillis}:{leadMinutes}:{assigneeId}`, exactly once however many runs
 * overlap — and moves `nextReminderAt` to the next lead time or null. A lead time the assignee
 * has removed from their preferences since the task was armed is not sent.
 */
export function runReminderSweep(
  deps: NotifierDeps,
  options: SweepOptions = {},
): Promise<SweepReport> {
  return sweep(
    deps,
    'sendDueReminders',
    DUE_REMINDERS_QUERY,
    options,
    async (snap, task, nowMs) => {
      if (!isArmable(task) || task.dueAtMs <= nowMs) {
        // Done, deleted, unassigned, undated, or already due (the overdue sweep takes over).
        return {
          profilesRead: 0,
          delivered: [],
          disarmed: !isArmable(task),
          update: { nextReminderAt: null },
        };
      }
      const stored = readBookkeeping(snap.data()).reminders;
      let recipient: Recipient | undefined;
      let profilesRead = 0;
      const profile = async (): Promise<Recipient> => {
        if (recipient === undefined) {
          recipient = await loadRecipient(deps.db, task.assigneeId);
          profilesRead++;
        }
        return recipient;
      };
      let state: ReminderState;
      let rearmed = false;
      if (
        stored !== null &&
        stored.dueAtMs === task.dueAtMs &&
        stored.assigneeId === task.assigneeId
      ) {
        state = stored;
      } else {
        // Planned for another due date or assignee (the trigger has not re-armed it yet, or its
        // events came out of order): plan again from the task as it is now.
        const prefs = (await profile()).prefs;
        const plan = planReminders({
          dueAtMs: task.dueAtMs,
          leads: prefs.reminderLeadMinutes,
          sent: [],
          nowMs,
        });
        state = {
          dueAtMs: task.dueAtMs,
          assigneeId: task.assigneeId,
          pending: plan.pending,
          sent: [],
        };
        rearmed = true;
      }
      const visit = reminderVisit({ dueAtMs: task.dueAtMs, pending: state.pending, nowMs });
      const delivered: DeliverResult[] = [];
      let sent = state.sent;
      if (visit.send !== null) {
        const r = await profile();
        if (r.prefs.reminderLeadMinutes.includes(visit.send)) {
          delivered.push(
            await deliverNotification(
              deps,
              reminderIntent(deps, snap.id, task, visit.send, r, nowMs),
              r,
            ),
          );
          sent = [...sent, visit.send];
        }
      }
      return {
        profilesRead,
        delivered,
        rearmed,
        update: reminderFields(visit.nextAt, { ...state, pending: visit.pending, sent }),
      };
    },
  );
}

/**
 * The overdue sweep (every 30 minutes): for each task whose `overdueCheckAt` has come, checks it
 * is still open, assigned, not deleted and past its current due date, then sends the first
 * overdue notice for this due date and assignee (key `overdue:{taskId}:{dueMillis}:{assigneeId}`)
 * or, when the assignee's `overdueFollowUp` is on, the follow-up of the day
 * (`overdue:{taskId}:{dueMillis}:day{n}:{assigneeId}`, n = 1…7: at most one a day), and moves
 * `overdueCheckAt` to the next day's follow-up or null.
 */
export function runOverdueSweep(
  deps: NotifierDeps,
  options: SweepOptions = {},
): Promise<SweepReport> {
  return sweep(
    deps,
    'checkOverdueTasks',
    OVERDUE_CHECKS_QUERY,
    options,
    async (snap, task, nowMs) => {
      if (!isArmable(task))
        return { profilesRead: 0, delivered: [], disarmed: true, update: { overdueCheckAt: null } };
      if (task.dueAtMs > nowMs)
        // Re-dated into the future before the trigger re-armed it: look again at the new due time.
        return {
          profilesRead: 0,
          delivered: [],
          rearmed: true,
          update: { overdueCheckAt: Timestamp.fromMillis(task.dueAtMs) },
        };
      const stored = readBookkeeping(snap.data()).overdueNotice;
      const lastDay =
        stored !== null && stored.dueAtMs === task.dueAtMs && stored.assigneeId === task.assigneeId
          ? stored.lastDay
          : null;
      const recipient = await loadRecipient(deps.db, task.assigneeId);
      const visit = overdueVisit({
        dueAtMs: task.dueAtMs,
        nowMs,
        lastDay,
        followUp: recipient.prefs.overdueFollowUp,
      });
      const delivered: DeliverResult[] = [];
      if (visit.notice !== null) {
        const day = visit.notice.followUp ? visit.notice.day : null;
        delivered.push(
          await deliverNotification(
            deps,
            overdueIntent(deps, snap.id, task, day, recipient, nowMs),
            recipient,
          ),
        );
      }
      const notice =
        visit.lastDay === null
          ? stored
          : { dueAtMs: task.dueAtMs, assigneeId: task.assigneeId, lastDay: visit.lastDay };
      return { profilesRead: 1, delivered, update: overdueFields(visit.nextAt, notice) };
    },
  );
}
