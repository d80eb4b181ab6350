import { z } from 'zod';
import { defineOperation, requireCaller } from '../core/operation';
import { docId, isoInstant, uid } from '../domain/shared.schema';
import {
  editableTaskShape,
  taskIdSchema,
  taskPrioritySchema,
  taskSchema,
  taskStatusSchema,
} from '../domain/tasks/task.schema';
import {
  createTask,
  deleteTask,
  getTask,
  listTasks,
  restoreTask,
  toggleComplete,
  updateTask,
} from '../domain/tasks/task.service';
import { searchTasks } from '../domain/search/task-search.service';
import { flagField, limitField, pageLimitField, success } from './fields';

const tags = ['tasks'];
const taskId = taskIdSchema;

export const listTasksOp = defineOperation({
  name: 'listTasks',
  summary: 'List tasks of a project, or assigned to a user, with filters and cursor pagination',
  description:
    'Needs `projectId` (a project you are a member of) or `assigneeId` (yourself; anyone for admins). ' +
    'Sorted by `createdAt` desc (default) or `dueDate` asc (always, when a due range is given). ' +
    'Pass `nextCursor` back as `cursor` for the next page; soft-deleted tasks only with `includeDeleted=true`.',
  access: 'user',
  http: { method: 'get', path: '/tasks', tags },
  input: z.strictObject({
    projectId: docId.optional(),
    assigneeId: uid.optional(),
    status: taskStatusSchema.optional(),
    priority: taskPrioritySchema.optional(),
    dueFrom: isoInstant.optional().meta({ description: 'due at or after (inclusive)' }),
    dueTo: isoInstant.optional().meta({ description: 'due before (exclusive)' }),
    includeDeleted: flagField,
    sort: z.enum(['createdAt', 'dueDate']).default('createdAt'),
    limit: limitField,
    cursor: z.string().max(1000).optional(),
  }),
  output: z.object({ tasks: z.array(taskSchema), nextCursor: z.string().nullable() }),
  handler: (input, ctx) => listTasks(ctx.deps.db, requireCaller(ctx), input),
});

export const searchTasksOp = defineOperation({
  name: 'searchTasks',
  summary: 'Search tasks by words of their title and description',
  description:
    'Each word of `q` must start a word of the title or description (case and accents ignored; ' +
    'words of 2+ letters, the first 15 letters compared). In `projectId` (a project you are a ' +
    'member of), or across all your projects. Soft-deleted tasks are not found; most recently ' +
    'updated first. The index follows a write within seconds (the task trigger keeps it).',
  access: 'user',
  http: { method: 'get', path: '/tasks/search', tags },
  input: z.strictObject({
    q: z.string().trim().min(1).max(200),
    projectId: docId.optional(),
    limit: pageLimitField(20),
  }),
  output: z.object({ tasks: z.array(taskSchema) }),
  handler: (input, ctx) => searchTasks(ctx.deps.db, requireCaller(ctx), input),
});

export const createTaskOp = defineOperation({
  name: 'createTask',
  summary: 'Create a task in a project you are a member of',
  description: 'The assignee must be a project member. Pass your own `id` to make retries safe.',
  access: 'user',
  http: { method: 'post', path: '/tasks', successStatus: 201, tags },
  input: z.strictObject({
    id: docId.optional(),
    projectId: docId,
    title: editableTaskShape.title,
    description: editableTaskShape.description.optional(),
    assigneeId: editableTaskShape.assigneeId.optional(),
    status: editableTaskShape.status.optional(),
    priority: editableTaskShape.priority.optional(),
    dueDate: editableTaskShape.dueDate.optional(),
    recurrence: editableTaskShape.recurrence.optional(),
  }),
  output: taskSchema,
  handler: (input, ctx) => createTask(ctx.deps.db, ctx.deps.clock, requireCaller(ctx), input),
});

export const getTaskOp = defineOperation({
  name: 'getTask',
  summary: 'Get a task (project members only; soft-deleted tasks too)',
  access: 'user',
  http: { method: 'get', path: '/tasks/:taskId', tags },
  input: z.strictObject({ taskId }),
  output: taskSchema,
  handler: ({ taskId }, ctx) => getTask(ctx.deps.db, taskId, requireCaller(ctx)),
});

export const replaceTaskOp = defineOperation({
  name: 'replaceTask',
  summary: 'Full update: every editable field is required',
  access: 'user',
  http: { method: 'put', path: '/tasks/:taskId', tags },
  input: z.strictObject({ taskId, ...editableTaskShape }),
  output: taskSchema,
  handler: ({ taskId, ...edit }, ctx) =>
    updateTask(ctx.deps.db, ctx.deps.clock, requireCaller(ctx), taskId, edit),
});

export const updateTaskOp = defineOperation({
  name: 'updateTask',
  summary: 'Partial update: only the given fields change',
  access: 'user',
  http: { method: 'patch', path: '/tasks/:taskId', tags },
  input: z
    .strictObject({ taskId, ...z.object(editableTaskShape).partial().shape })
    .refine((i) => Object.keys(i).length > 1, {
      message: 'at least one field to change is required',
      path: ['title'],
    }),
  output: taskSchema,
  handler: ({ taskId, ...edit }, ctx) =>
    updateTask(ctx.deps.db, ctx.deps.clock, requireCaller(ctx), taskId, edit),
});

export const completeTaskOp = defineOperation({
  name: 'completeTask',
  summary: 'Toggle completion: done ⇄ todo, setting or clearing completedAt',
  access: 'user',
  http: { method: 'patch', path: '/tasks/:taskId/complete', tags },
  input: z.strictObject({ taskId }),
  output: taskSchema,
  handler: ({ taskId }, ctx) =>
    toggleComplete(ctx.deps.db, ctx.deps.clock, requireCaller(ctx), taskId),
});

export const deleteTaskOp = defineOperation({
  name: 'deleteTask',
  summary: 'Soft delete (default) or, with permanent=true, delete for good',
  description: 'Permanent deletion: the task creator, the project owner or an admin.',
  access: 'user',
  http: { method: 'delete', path: '/tasks/:taskId', tags },
  input: z.strictObject({ taskId, permanent: flagField }),
  output: z.object({ success, deleted: z.enum(['soft', 'permanent']) }),
  async handler({ taskId, permanent }, ctx) {
    const result = await deleteTask(
      ctx.deps.db,
      ctx.deps.clock,
      requireCaller(ctx),
      taskId,
      permanent,
    );
    ctx.logger.info('Task deleted', { taskId, ...result });
    return { success: true as const, ...result };
  },
});

export const restoreTaskOp = defineOperation({
  name: 'restoreTask',
  summary: 'Restore a soft-deleted task (400 if it is not deleted)',
  access: 'user',
  http: { method: 'post', path: '/tasks/:taskId/restore', tags },
  input: z.strictObject({ taskId }),
  output: taskSchema,
  handler: ({ taskId }, ctx) =>
    restoreTask(ctx.deps.db, ctx.deps.clock, requireCaller(ctx), taskId),
});
