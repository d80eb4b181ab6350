import { z } from 'zod';
import { defineOperation, requireCaller } from '../core/operation';
import { docId } from '../domain/shared.schema';
import { runJobNow } from '../domain/scheduling/dispatcher.service';
import {
  SUPPORTED_JOB_TYPES,
  jobIdSchema,
  jobRunSchema,
  scheduledJobSchema,
} from '../domain/scheduling/job.schema';
import {
  createJob,
  deleteJob,
  getJob,
  listJobs,
  listRuns,
  setJobEnabled,
  toJobRun,
  toScheduledJob,
} from '../domain/scheduling/job.service';
import { timeZoneSchema } from '../domain/tasks/task.schema';
import { pageLimitField, success } from './fields';

// Scheduled-job management: admin only. The public contract calls a job a "task" in its paths
// and fields (`/scheduled-tasks`, `taskId`); so do we.
const tags = ['scheduled-tasks'];
const taskId = jobIdSchema;
const cursor = z.string().max(1000).optional();

export const createScheduledJobOp = defineOperation({
  name: 'createScheduledTask',
  summary: 'Create a scheduled task (cron job)',
  description:
    '`schedule` is a 5-field cron expression (minute hour day-of-month month day-of-week) or ' +
    '@hourly/@daily/@weekly/@monthly/@yearly, evaluated in `timezone` (default: ' +
    '`parameters.timezone`, else UTC). `nextRun` is the first occurrence after now, in UTC. ' +
    `Task types available: ${SUPPORTED_JOB_TYPES.join(', ')}. Pass your own \`id\` to make ` +
    'retries safe.',
  access: 'admin',
  http: { method: 'post', path: '/scheduled-tasks', successStatus: 201, tags },
  input: z.strictObject({
    id: docId.optional(),
    taskType: z.enum(SUPPORTED_JOB_TYPES),
    schedule: z.string().min(1).max(200).meta({ example: '0 9 * * 1-5' }),
    parameters: z.record(z.string(), z.unknown()).default({}),
    description: z.string().trim().max(500).default(''),
    timezone: timeZoneSchema.optional(),
    enabled: z.boolean().default(true),
  }),
  output: z.object({ success, taskId: z.string(), nextRun: z.string().nullable() }),
  async handler(input, ctx) {
    const job = await createJob(ctx.deps.db, ctx.deps.clock, requireCaller(ctx), input);
    ctx.logger.info('Scheduled task created', { taskId: job.taskId, taskType: job.taskType });
    return { success: true as const, taskId: job.taskId, nextRun: job.nextRun };
  },
});

export const listScheduledJobsOp = defineOperation({
  name: 'listScheduledTasks',
  summary: 'List scheduled tasks, newest first, with cursor pagination',
  access: 'admin',
  http: { method: 'get', path: '/scheduled-tasks', tags },
  input: z.strictObject({ limit: pageLimitField(50), cursor }),
  output: z.object({ tasks: z.array(scheduledJobSchema), nextCursor: z.string().nullable() }),
  handler: (input, ctx) => listJobs(ctx.deps.db, ctx.deps.clock, input),
});

export const getScheduledJobOp = defineOperation({
  name: 'getScheduledTask',
  summary: 'Get one scheduled task',
  access: 'admin',
  http: { method: 'get', path: '/scheduled-tasks/:taskId', tags },
  input: z.strictObject({ taskId }),
  output: scheduledJobSchema,
  handler: ({ taskId }, ctx) => getJob(ctx.deps.db, ctx.deps.clock, taskId),
});

export const deleteScheduledJobOp = defineOperation({
  name: 'deleteScheduledTask',
  summary: 'Delete a scheduled task and its run history',
  access: 'admin',
  http: { method: 'delete', path: '/scheduled-tasks/:taskId', tags },
  input: z.strictObject({ taskId }),
  output: z.object({ success, message: z.string() }),
  async handler({ taskId }, ctx) {
    const { runsDeleted } = await deleteJob(ctx.deps.db, taskId);
    ctx.logger.info('Scheduled task deleted', { taskId, runsDeleted });
    return { success: true as const, message: 'Task deleted successfully' };
  },
});

export const enableScheduledJobOp = defineOperation({
  name: 'enableScheduledTask',
  summary: 'Enable a scheduled task',
  description: 'The next run is computed from now (occurrences missed while disabled are not run).',
  access: 'admin',
  http: { method: 'post', path: '/scheduled-tasks/:taskId/enable', tags },
  input: z.strictObject({ taskId }),
  output: scheduledJobSchema,
  handler: ({ taskId }, ctx) => setJobEnabled(ctx.deps.db, ctx.deps.clock, taskId, true),
});

export const disableScheduledJobOp = defineOperation({
  name: 'disableScheduledTask',
  summary: 'Disable a scheduled task',
  description: 'A run already in progress finishes; no further run starts until it is enabled.',
  access: 'admin',
  http: { method: 'post', path: '/scheduled-tasks/:taskId/disable', tags },
  input: z.strictObject({ taskId }),
  output: scheduledJobSchema,
  handler: ({ taskId }, ctx) => setJobEnabled(ctx.deps.db, ctx.deps.clock, taskId, false),
});

export const runScheduledJobOp = defineOperation({
  name: 'runScheduledTask',
  // A run of a summary or custom-notification job sends.
  sendsNotifications: true,
  summary: 'Run a scheduled task now and answer its run record',
  description:
    'Runs inline (up to 50 s; longer work is recorded as timed out and retried by the dispatcher) ' +
    'as run `manual-<X-Request-Id>`: sending the same request id again answers the same run. ' +
    'Works on a disabled task too. 409 while another run of the task is in progress.',
  access: 'admin',
  http: { method: 'post', path: '/scheduled-tasks/:taskId/run', tags },
  input: z.strictObject({ taskId }),
  output: jobRunSchema.extend({ success, taskId: z.string(), nextRun: z.string().nullable() }),
  async handler({ taskId }, ctx) {
    const { productionJobRunners } = await import('../domain/scheduling/job-runners.service');
    const { runId, run, job } = await runJobNow(
      ctx.deps,
      ctx.logger,
      productionJobRunners(),
      taskId,
      { requestId: ctx.requestId, requestedBy: requireCaller(ctx).uid },
      { runTimeoutMs: 50_000 },
    );
    ctx.logger.info('Scheduled task run on demand', { taskId, runId, status: run.status });
    const nextRun = job === null ? null : toScheduledJob(taskId, job, ctx.deps.clock.now()).nextRun;
    return { success: true as const, taskId, ...toJobRun(runId, run), nextRun };
  },
});

export const listScheduledJobRunsOp = defineOperation({
  name: 'listScheduledTaskRuns',
  summary: 'Run history of a scheduled task (every attempt), newest first',
  access: 'admin',
  http: { method: 'get', path: '/scheduled-tasks/:taskId/runs', tags },
  input: z.strictObject({ taskId, limit: pageLimitField(20), cursor }),
  output: z.object({ runs: z.array(jobRunSchema), nextCursor: z.string().nullable() }),
  handler: ({ taskId, ...page }, ctx) => listRuns(ctx.deps.db, taskId, page),
});
