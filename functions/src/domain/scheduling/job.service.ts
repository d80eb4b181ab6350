import { decodeTimestampCursor, encodeTimestampCursor } from '../../storage/cursor';
import { Timestamp, type Firestore, type Query } from 'firebase-admin/firestore';
import type { z } from 'zod';
import type { Clock } from '../../core/clock';
import { AppError, type FieldIssue } from '../../core/errors';
import type { Caller } from '../../core/operation';
import { applyShape, type QueryShape } from '../../core/query-shape';
import { toFieldIssues } from '../../core/validation';
import { iso } from '../shared.schema';
import { cronProblem, nextCronRun } from './cron';
import {
  JOB_PARAMETER_SCHEMAS,
  type JobRun,
  type JobRunDoc,
  type ScheduledJob,
  type ScheduledJobDoc,
  type TaskType,
} from './job.schema';
import { PROJECTS, SCHEDULED_JOBS, RUNS, SENDS } from '../../storage/collections';
import { isAlreadyExists } from '../../storage/already-exists';
import { jobRunDocs, scheduledJobDocs } from '../../storage/refs';

/** The job listing, newest first (automatic single-field index). */
export const JOBS_LIST_QUERY: QueryShape = {
  collection: SCHEDULED_JOBS,
  equals: [],
  orderBy: [['createdAt', 'desc']],
};
/** A job's run history, newest first (automatic single-field index on the `runs` collection). */
export const RUNS_LIST_QUERY: QueryShape = {
  collection: RUNS,
  equals: [],
  orderBy: [['startedAt', 'desc']],
};

/** Ids of deleted jobs' runs removed inline; any left over expire by TTL (`runs.expireAt`). */
const MAX_RUNS_DELETED_INLINE = 2000;
const DELETE_BATCH = 400;

export function toScheduledJob(id: string, d: ScheduledJobDoc, now: Date): ScheduledJob {
  let nextRun: string | null = null;
  if (d.enabled) {
    // While an attempt runs, nextRunAt is its lease end; show the occurrence after now instead.
    nextRun =
      d.inFlight === null
        ? iso(d.nextRunAt)
        : nextCronRun(d.schedule, d.timezone, now).toISOString();
  }
  return {
    taskId: id,
    taskType: d.taskType,
    schedule: d.schedule,
    timezone: d.timezone,
    parameters: d.parameters,
    description: d.description,
    enabled: d.enabled,
    nextRun,
    lastRun: iso(d.lastRunAt),
    lastStatus: d.lastStatus,
    lastSuccessAt: iso(d.lastSuccessAt),
    lastError: d.lastError,
    running: d.inFlight !== null,
    retry:
      d.pendingRetry === null || d.nextRunAt === null
        ? null
        : { attempt: d.pendingRetry.attempt, at: d.nextRunAt.toDate().toISOString() },
    missedRuns: d.missedRuns,
    createdBy: d.createdBy,
    createdAt: iso(d.createdAt) ?? '',
    updatedAt: iso(d.updatedAt) ?? '',
  };
}

export function toJobRun(runId: string, d: JobRunDoc): JobRun {
  return {
    runId,
    jobId: d.jobId,
    trigger: d.trigger,
    attempt: d.attempt,
    status: d.status,
    scheduledFor: iso(d.scheduledFor) ?? '',
    startedAt: iso(d.startedAt) ?? '',
    endedAt: iso(d.endedAt),
    durationMs: d.durationMs,
    error: d.error,
    willRetry: d.willRetry,
    retryAt: iso(d.retryAt),
    missedRuns: d.missedRuns,
    itemsActedOn: d.itemsActedOn,
    documentsRead: d.documentsRead,
    detail: d.detail,
    requestedBy: d.requestedBy,
  };
}

function invalid(field: string, message: string): AppError {
  return AppError.validation([{ field, message }]);
}

function prefixed(prefix: string, error: z.ZodError): FieldIssue[] {
  return toFieldIssues(error).map((i) => ({
    field: i.field === '' ? prefix : `${prefix}.${i.field}`,
    message: i.message,
  }));
}

export interface CreateJobInput {
  id?: string | undefined;
  taskType: TaskType;
  schedule: string;
  parameters: Record<string, unknown>;
  description: string;
  timezone?: string | undefined;
  enabled: boolean;
}

/**
 * Checks a job definition: the parameters against the type's schema (400 naming
 * `parameters.<field>`), the cron expression (400 naming `schedule`), and that a target project
 * exists (422). Answers the zone the job runs in: `timezone`, else `parameters.timezone`, else UTC.
 */
export async function validateJob(
  db: Firestore,
  input: Pick<CreateJobInput, 'taskType' | 'schedule' | 'parameters' | 'timezone'>,
): Promise<{ timezone: string; parameters: Record<string, unknown> }> {
  const params = JOB_PARAMETER_SCHEMAS[input.taskType].safeParse(input.parameters);
  if (!params.success) throw AppError.validation(prefixed('parameters', params.error));
  const parameters = params.data as Record<string, unknown>;
  const problem = cronProblem(input.schedule);
  if (problem !== null) throw invalid('schedule', problem);
  const fromParams = typeof parameters.timezone === 'string' ? parameters.timezone : undefined;
  const timezone = input.timezone ?? fromParams ?? 'UTC';
  const target = parameters.target as { projectId?: string } | undefined;
  if (target?.projectId !== undefined) {
    const project = await db.collection(PROJECTS).doc(target.projectId).get();
    if (!project.exists) {
      throw new AppError(
        'UNPROCESSABLE_ENTITY',
        `parameters.target.projectId: no project ${target.projectId}`,
        [{ field: 'parameters.target.projectId', message: 'no such project' }],
      );
    }
  }
  return { timezone, parameters };
}

/**
 * Creates a job (admin). Its first run is the first occurrence after now in its zone. With a
 * client-chosen `id` a retried request returns the job the first attempt created (409 if someone
 * else's job has that id).
 */
export async function createJob(
  db: Firestore,
  clock: Clock,
  caller: Caller,
  input: CreateJobInput,
): Promise<ScheduledJob> {
  const { timezone, parameters } = await validateJob(db, input);
  const now = clock.now();
  const stamp = Timestamp.fromDate(now);
  const doc: ScheduledJobDoc = {
    taskType: input.taskType,
    schedule: input.schedule.trim(),
    timezone,
    parameters,
    description: input.description,
    enabled: input.enabled,
    nextRunAt: Timestamp.fromDate(nextCronRun(input.schedule, timezone, now)),
    lastRunAt: null,
    lastStatus: null,
    lastSuccessAt: null,
    lastError: null,
    inFlight: null,
    pendingRetry: null,
    missedRuns: 0,
    createdBy: caller.uid,
    createdAt: stamp,
    updatedAt: stamp,
  };
  const jobs = scheduledJobDocs(db);
  const ref = input.id === undefined ? jobs.doc() : jobs.doc(input.id);
  try {
    await ref.create(doc);
    return toScheduledJob(ref.id, doc, now);
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
    const existing = (await ref.get()).data();
    if (existing === undefined) throw e;
    if (existing.createdBy !== caller.uid) {
      throw new AppError('CONFLICT', `Scheduled task ${ref.id} already exists`);
    }
    return toScheduledJob(ref.id, existing, now);
  }
}

async function loadJob(db: Firestore, jobId: string): Promise<ScheduledJobDoc> {
  const job = (await scheduledJobDocs(db).doc(jobId).get()).data();
  if (job === undefined) throw AppError.notFound(`Scheduled task ${jobId} not found`);
  return job;
}

export async function getJob(db: Firestore, clock: Clock, jobId: string): Promise<ScheduledJob> {
  return toScheduledJob(jobId, await loadJob(db, jobId), clock.now());
}

async function page<D, T>(
  query: Query<D>,
  sortValue: (data: D) => Timestamp,
  input: { limit: number; cursor?: string | undefined },
  map: (id: string, data: D) => T,
): Promise<{ items: T[]; nextCursor: string | null }> {
  let q = query;
  if (input.cursor !== undefined) {
    const c = decodeTimestampCursor(input.cursor);
    q = q.startAfter(new Timestamp(c.v[0], c.v[1]), c.id);
  }
  const snap = await q.limit(input.limit + 1).get();
  const docs = snap.docs.slice(0, input.limit);
  const last = docs[docs.length - 1];
  const nextCursor =
    snap.size > input.limit && last !== undefined
      ? encodeTimestampCursor(sortValue(last.data()), last.id)
      : null;
  return { items: docs.map((d) => map(d.id, d.data())), nextCursor };
}

/** One page of the jobs, newest first; `nextCursor` goes back as `cursor`. */
export async function listJobs(
  db: Firestore,
  clock: Clock,
  input: { limit: number; cursor?: string | undefined },
): Promise<{ tasks: ScheduledJob[]; nextCursor: string | null }> {
  const now = clock.now();
  const query = applyShape(scheduledJobDocs(db), JOBS_LIST_QUERY, { equals: {} });
  const { items, nextCursor } = await page(
    query,
    (d) => d.createdAt,
    input,
    (id, d) => toScheduledJob(id, d, now),
  );
  return { tasks: items, nextCursor };
}

/** One page of a job's runs (every attempt), newest first. 404 for an unknown job. */
export async function listRuns(
  db: Firestore,
  jobId: string,
  input: { limit: number; cursor?: string | undefined },
): Promise<{ runs: JobRun[]; nextCursor: string | null }> {
  await loadJob(db, jobId);
  const query = applyShape(jobRunDocs(db, jobId), RUNS_LIST_QUERY, { equals: {} });
  const { items, nextCursor } = await page(
    query,
    (d) => d.startedAt,
    input,
    (id, d) => toJobRun(id, d),
  );
  return { runs: items, nextCursor };
}

/**
 * Enables or disables a job. Enabling computes the next run from now, so a job that was off for
 * a week does not fire at once for an occurrence long past, and drops a retry that was waiting.
 * Disabling keeps the state; an attempt already running finishes.
 */
export async function setJobEnabled(
  db: Firestore,
  clock: Clock,
  jobId: string,
  enabled: boolean,
): Promise<ScheduledJob> {
  const ref = db.collection(SCHEDULED_JOBS).doc(jobId);
  const job = await loadJob(db, jobId);
  const now = clock.now();
  const stamp = Timestamp.fromDate(now);
  let update: Partial<ScheduledJobDoc>;
  if (!enabled) update = { enabled: false, updatedAt: stamp };
  else if (job.enabled) update = {};
  else {
    update = {
      enabled: true,
      pendingRetry: null,
      updatedAt: stamp,
      ...(job.inFlight === null
        ? { nextRunAt: Timestamp.fromDate(nextCronRun(job.schedule, job.timezone, now)) }
        : {}),
    };
  }
  if (Object.keys(update).length > 0) await ref.update(update);
  return toScheduledJob(jobId, { ...job, ...update }, now);
}

/**
 * Deletes a job and then its run history (up to 2,000 runs inline; any beyond that expire by
 * the TTL policy on `runs.expireAt`). The job goes first, so no dispatcher starts it again;
 * an attempt already running finishes and finds nothing to update. 404 for an unknown job.
 */
export async function deleteJob(db: Firestore, jobId: string): Promise<{ runsDeleted: number }> {
  const ref = db.collection(SCHEDULED_JOBS).doc(jobId);
  await loadJob(db, jobId);
  await ref.delete();
  let removed = 0;
  let runsDeleted = 0;
  for (const sub of [RUNS, SENDS]) {
    while (removed < MAX_RUNS_DELETED_INLINE) {
      const snap = await ref.collection(sub).limit(DELETE_BATCH).get();
      if (snap.empty) break;
      const batch = db.batch();
      for (const d of snap.docs) batch.delete(d.ref);
      await batch.commit();
      removed += snap.size;
      if (sub === RUNS) runsDeleted += snap.size;
      if (snap.size < DELETE_BATCH) break;
    }
  }
  return { runsDeleted };
}
