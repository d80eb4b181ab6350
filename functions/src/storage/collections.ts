/**
 * Every Firestore collection the backend reads or writes, by name. One list, so that a service
 * never imports another service only to learn where a collection lives. No imports: the deployed
 * manifest loads this at cold start.
 *
 * Collections clients may write (through firestore.rules): users, users/{uid}/devices,
 * users/{uid}/notifications (read flag), workspaces and projects (name and description), tasks.
 * Every other collection is server-owned.
 */

// ---- Users ---------------------------------------------------------------------------------------
/** `users/{uid}`: the profile and notification preferences. */
export const USERS = 'users';
/** `users/{uid}/devices/{deviceId}`: one FCM token per device. */
export const DEVICES = 'devices';
/** `deviceTokens/{hash(token)}`: which user and device hold a token (a token has one owner). */
export const DEVICE_TOKENS = 'deviceTokens';
/** `users/{uid}/notifications/{id}`: the inbox. */
export const NOTIFICATIONS = 'notifications';

// ---- Workspaces, projects, tasks -----------------------------------------------------------------
export const WORKSPACES = 'workspaces';
export const PROJECTS = 'projects';
/** What is left to do after a workspace member was removed (their tasks to unassign). */
export const MEMBER_REMOVALS = 'memberRemovals';
export const INVITATIONS = 'invitations';
/** `invitations/{id}/emails/{round}`: the claim of one invitation email. */
export const INVITATION_EMAILS = 'emails';
export const TASKS = 'tasks';
/** `taskSearch/{taskId}`: the search tokens of a task. */
export const TASK_SEARCH = 'taskSearch';
/** `taskAssignments/{taskId}`: the assignment a task's notices are keyed on. */
export const TASK_ASSIGNMENTS = 'taskAssignments';
/**
 * `taskSchedules/{taskId}`: when the reminder, overdue and recurrence sweeps must next look at a
 * task, and what they already sent. Written by the task trigger and the sweeps, never by a client
 * and never into the task itself, so keeping it fires no task trigger.
 */
export const TASK_SCHEDULES = 'taskSchedules';

// ---- Analytics -----------------------------------------------------------------------------------
export const ACTIVITY = 'activity';
/** `userStats/{uid}` and its `days/{localDate}` subcollection. */
export const USER_STATS = 'userStats';
export const USER_STATS_DAYS = 'days';
/** `backfills/{name}`: the progress of a resumable backfill. */
export const BACKFILLS = 'backfills';

// ---- Notification engine -------------------------------------------------------------------------
/** `deliveries/{hash(intent key)}`: one delivery record per notification and recipient. */
export const DELIVERIES = 'deliveries';
/** `deliveries/{id}/claims/{version}`: the claim of one release attempt. */
export const CLAIMS = 'claims';
export const EMAIL_SUPPRESSIONS = 'emailSuppressions';
/**
 * `digestSchedule/{uid}_{period}`: when a user's next daily/weekly summary is due. The sweep reads
 * only documents with `nextAt <= now`; the profile decides the rest (see digest-schedule.service).
 */
export const DIGEST_SCHEDULE = 'digestSchedule';
/**
 * `digests/{uid}_{period}_{key}`: one per digest (key: the local date, or the ISO week of a weekly
 * one), created with `create()` before the digest is built — the claim that makes it exactly
 * once — then finished with what happened (sent, skipped and why, figures). Expires by TTL.
 */
export const DIGESTS = 'digests';

// ---- Scheduling ----------------------------------------------------------------------------------
export const SCHEDULED_JOBS = 'scheduledJobs';
/** `scheduledJobs/{id}/runs/{runId}`: one document per run attempt. */
export const RUNS = 'runs';
/** `scheduledJobs/{id}/sends/{key}`: the claim of one custom notification of a run. */
export const SENDS = 'sends';
/** `jobHealth/{name}`: the last run of each deployed scheduled function. */
export const JOB_HEALTH = 'jobHealth';
/** `sweepErrors/{id}`: documents a sweep failed on (quarantined after repeated failures). */
export const SWEEP_ERRORS = 'sweepErrors';

// ---- Infrastructure ------------------------------------------------------------------------------
/** `rateLimits/{key}`: fixed-window counters of the rate limiter. */
export const RATE_LIMITS = 'rateLimits';
/** `devOutbox/{id}`: emails captured instead of sent (local stack only). */
export const DEV_OUTBOX = 'devOutbox';
/** `_health/probe`: the document the readiness check reads. */
export const HEALTH_PROBE = '_health';
