import type { Firestore } from 'firebase-admin/firestore';
import type { Clock } from '../../core/clock';
import type { Logger } from '../../core/logger';
import type { NotificationIntent, PushContent } from '../notifications/channels';
import type { RunTrigger, TaskType } from './job.schema';

/** What the scheduling code itself needs; runners may need more (the production `Deps`). */
export interface SchedulingDeps {
  db: Firestore;
  clock: Clock;
}

/** A stored job as a runner sees it; `parameters` were validated against the type's schema. */
export interface JobDefinition {
  id: string;
  taskType: TaskType;
  schedule: string;
  timezone: string;
  parameters: Record<string, unknown>;
  description: string;
  createdBy: string;
}

export interface JobContext<D extends SchedulingDeps = SchedulingDeps> {
  deps: D;
  logger: Logger;
  job: JobDefinition;
  /**
   * The occurrence this run stands for (for a manual run, when it was requested). Retries of a
   * run share it, so effects keyed on `${job.id}:${scheduledFor}` happen once per occurrence.
   */
  scheduledFor: Date;
  runId: string;
  attempt: number;
  trigger: RunTrigger;
}

export interface JobResult {
  /** Recipients notified, tasks touched…: the run's "items acted on" in the summary log line. */
  itemsActedOn: number;
  documentsRead?: number;
  /** Stored on the run record (small, JSON-like). */
  detail?: Record<string, unknown>;
}

/**
 * Runs one job once. Runners are injected (a map by type), so the dispatcher and the run-now
 * endpoint know nothing of what a job does, and tests pass their own. A runner must be safe to
 * run again for the same `scheduledFor` (a retry after a crash): key its effects on it.
 */
export type JobRunner<D extends SchedulingDeps = SchedulingDeps> = (
  ctx: JobContext<D>,
) => Promise<JobResult>;

export type JobRunners<D extends SchedulingDeps = SchedulingDeps> = Partial<
  Record<TaskType, JobRunner<D>>
>;

/**
 * A failure no retry can fix (a deleted project, parameters that no longer validate): the run
 * is recorded failed at once instead of being retried with backoff.
 */
export class PermanentJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentJobError';
  }
}

/**
 * The notification ports a job needs: the engine's per-recipient delivery (inbox, push, email by
 * the recipient's preferences, exactly once per `intent.key`), and a push to an FCM topic.
 */
export interface JobNotifier {
  notify(intent: NotificationIntent): Promise<unknown>;
  notifyTopic(topic: string, content: PushContent): Promise<unknown>;
}
