/** What one run of the reminder or overdue sweep is given and what it reports (pure shapes). */

export interface SweepOptions {
  /** Tasks per page (one query each). Default 200. */
  limit?: number;
  /** The sweep's "now"; default the clock's. */
  now?: Date;
  /** Wall-clock budget: no new page is started after it. Default 240 s (functions time out at 300 s+). */
  budgetMs?: number;
  /** Tasks handled at once within a page. Default 10. */
  concurrency?: number;
}

export interface SweepReport {
  /** The scheduled function that runs the sweep. */
  job: 'sendDueReminders' | 'checkOverdueTasks';
  now: string;
  durationMs: number;
  pages: number;
  /** Schedules the sweep's queries returned: the tasks that were due. */
  schedulesRead: number;
  /** Task documents the sweep read: one per due schedule (batched by page). */
  tasksRead: number;
  /** Profiles the sweep read (one per task notified; the engine uses it instead of reading its own). */
  profilesRead: number;
  /**
   * Documents billed to the sweep: schedule query results (an empty query bills one), their
   * tasks, and profiles. The engine's own reads per delivery (devices, token owners) are not
   * included.
   */
  documentsRead: number;
  /** Notifications newly delivered (inbox item created, push/email sent or queued). */
  acted: number;
  /** Notifications another run had already delivered (same key). */
  duplicates: number;
  /** Recipients without a profile: nothing delivered. */
  skipped: number;
  /**
   * Tasks no longer to be reminded (done, deleted, unassigned, no due date) whose instant was
   * cleared, or gone altogether (their schedule deleted).
   */
  disarmed: number;
  /** Tasks whose stored plan was for another due date or assignee: planned again from the task. */
  rearmed: number;
  /** Schedule updates refused because the schedule changed meanwhile (the trigger's plan stands). */
  contended: number;
  /** Tasks whose visit failed (retried on the next run: the instant was not moved). */
  failures: number;
  /** False when the time budget ended the run before every due task was seen (the next run goes on). */
  complete: boolean;
}

/** A report with nothing counted yet. */
export function emptyReport(job: SweepReport['job'], now: Date): SweepReport {
  return {
    job,
    now: now.toISOString(),
    durationMs: 0,
    pages: 0,
    schedulesRead: 0,
    tasksRead: 0,
    profilesRead: 0,
    documentsRead: 0,
    acted: 0,
    duplicates: 0,
    skipped: 0,
    disarmed: 0,
    rearmed: 0,
    contended: 0,
    failures: 0,
    complete: true,
  };
}
