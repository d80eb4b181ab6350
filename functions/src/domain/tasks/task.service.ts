import { Timestamp, type Firestore } from 'firebase-admin/firestore';
import type { Clock } from '../../core/clock';
import { AppError } from '../../core/errors';
import type { Caller } from '../../core/operation';
import { decodeSortCursor, encodeSortCursor } from '../../storage/cursor';
import { applyShape } from '../../core/query-shape';
import { assertProjectMember, loadProject, loadProjectFor } from '../projects/project.service';
import type { ProjectDoc } from '../projects/project.schema';
import { iso } from '../shared.schema';
import { taskListShape, type TaskSort } from './task-list.query';
import type { Task, TaskDoc, TaskEdit, TaskPriority, TaskStatus } from './task.schema';
import { TASKS } from '../../storage/collections';
import { isAlreadyExists } from '../../storage/already-exists';
import { taskDocs } from '../../storage/refs';

export function toTask(id: string, d: TaskDoc): Task {
  return {
    id,
    title: d.title,
    description: d.description,
    projectId: d.projectId,
    workspaceId: d.workspaceId,
    assigneeId: d.assigneeId,
    createdBy: d.createdBy,
    // Tasks written before updatedBy existed read as a server change.
    updatedBy: d.updatedBy ?? null,
    status: d.status,
    priority: d.priority,
    dueDate: iso(d.dueDate),
    completedAt: iso(d.completedAt),
    recurrence: d.recurrence,
    deletedAt: iso(d.deletedAt),
    createdAt: iso(d.createdAt) ?? '',
    updatedAt: iso(d.updatedAt) ?? '',
  };
}

function assertAssignable(project: ProjectDoc, assigneeId: string | null | undefined): void {
  if (assigneeId === null || assigneeId === undefined) return;
  if (project.members.includes(assigneeId)) return;
  throw new AppError('UNPROCESSABLE_ENTITY', 'assigneeId: the assignee must be a project member', [
    { field: 'assigneeId', message: 'not a member of the project' },
  ]);
}

/** The stored form of an edit; completion follows status (done ⇔ completedAt set). */
function applyEdit(
  current: TaskDoc | undefined,
  edit: TaskEdit,
  now: Timestamp,
  actor: string,
): Partial<TaskDoc> {
  const out: Partial<TaskDoc> = { updatedBy: actor };
  if (edit.title !== undefined) out.title = edit.title;
  if (edit.description !== undefined) out.description = edit.description;
  if (edit.assigneeId !== undefined) out.assigneeId = edit.assigneeId;
  if (edit.priority !== undefined) out.priority = edit.priority;
  if (edit.recurrence !== undefined) out.recurrence = edit.recurrence;
  if (edit.dueDate !== undefined) {
    out.dueDate = edit.dueDate === null ? null : Timestamp.fromDate(new Date(edit.dueDate));
  }
  if (edit.status !== undefined && edit.status !== current?.status) {
    out.status = edit.status;
    out.completedAt = edit.status === 'done' ? now : null;
  }
  out.updatedAt = now;
  return out;
}

export interface CreateTaskInput extends TaskEdit {
  id?: string | undefined;
  projectId: string;
  title: string;
}

/** Creates a task in a project the caller belongs to; the assignee must be a member too. */
export async function createTask(
  db: Firestore,
  clock: Clock,
  caller: Caller,
  input: CreateTaskInput,
): Promise<Task> {
  const project = await loadProjectFor(db, input.projectId, caller);
  assertAssignable(project, input.assigneeId);
  const now = Timestamp.fromDate(clock.now());
  const status: TaskStatus = input.status ?? 'todo';
  const priority: TaskPriority = input.priority ?? 'medium';
  const doc: TaskDoc = {
    title: input.title,
    description: input.description ?? '',
    projectId: input.projectId,
    workspaceId: project.workspaceId,
    assigneeId: input.assigneeId ?? null,
    createdBy: caller.uid,
    updatedBy: caller.uid,
    status,
    priority,
    dueDate: input.dueDate == null ? null : Timestamp.fromDate(new Date(input.dueDate)),
    completedAt: status === 'done' ? now : null,
    recurrence: input.recurrence ?? null,
    deletedAt: null,
    createdAt: now,
    updatedAt: now,
  };
  const ref = input.id === undefined ? taskDocs(db).doc() : taskDocs(db).doc(input.id);
  try {
    await ref.create(doc);
  } catch (e) {
    if (isAlreadyExists(e)) {
      // A retry of the same create (client-chosen id) returns what the first attempt stored.
      const existing = (await ref.get()).data();
      if (existing === undefined) throw e;
      if (existing.createdBy !== caller.uid || existing.projectId !== input.projectId) {
        throw new AppError('CONFLICT', `Task ${ref.id} already exists`);
      }
      return toTask(ref.id, existing);
    }
    throw e;
  }
  return toTask(ref.id, doc);
}

/** Loads a task the caller may see: 404 if missing, 403 if not a member of its project. */
async function loadTaskFor(
  db: Firestore,
  taskId: string,
  caller: Caller,
): Promise<{ task: TaskDoc; project: ProjectDoc }> {
  const snap = await taskDocs(db).doc(taskId).get();
  const task = snap.data();
  if (task === undefined) throw AppError.notFound(`Task ${taskId} not found`);
  const project = await loadProject(db, task.projectId);
  assertProjectMember(project, caller);
  return { task, project };
}

export async function getTask(db: Firestore, taskId: string, caller: Caller): Promise<Task> {
  return toTask(taskId, (await loadTaskFor(db, taskId, caller)).task);
}

function assertNotDeleted(task: TaskDoc, taskId: string): void {
  if (task.deletedAt !== null) {
    throw new AppError('FAILED_PRECONDITION', `Task ${taskId} is deleted; restore it first`);
  }
}

/** PUT (every editable field given) and PATCH (some) both land here. */
export async function updateTask(
  db: Firestore,
  clock: Clock,
  caller: Caller,
  taskId: string,
  edit: TaskEdit,
): Promise<Task> {
  const { task, project } = await loadTaskFor(db, taskId, caller);
  assertNotDeleted(task, taskId);
  assertAssignable(project, edit.assigneeId);
  const change = applyEdit(task, edit, Timestamp.fromDate(clock.now()), caller.uid);
  await taskDocs(db).doc(taskId).update(change);
  return toTask(taskId, { ...task, ...change });
}

/** `PATCH /tasks/{id}/complete`: done ⇄ todo, setting or clearing completedAt. */
export async function toggleComplete(
  db: Firestore,
  clock: Clock,
  caller: Caller,
  taskId: string,
): Promise<Task> {
  const current = await getTask(db, taskId, caller);
  return updateTask(db, clock, caller, taskId, {
    status: current.status === 'done' ? 'todo' : 'done',
  });
}

/**
 * Soft delete (default): sets deletedAt; the task vanishes from listings until restored.
 * Permanent: removes the document; allowed to its creator, the project owner and admins.
 */
export async function deleteTask(
  db: Firestore,
  clock: Clock,
  caller: Caller,
  taskId: string,
  permanent: boolean,
): Promise<{ deleted: 'soft' | 'permanent' }> {
  const { task, project } = await loadTaskFor(db, taskId, caller);
  const ref = taskDocs(db).doc(taskId);
  if (permanent) {
    if (!caller.admin && caller.uid !== task.createdBy && caller.uid !== project.ownerId) {
      throw AppError.forbidden(
        'Only the task creator or the project owner can delete it permanently',
      );
    }
    await ref.delete();
    return { deleted: 'permanent' };
  }
  if (task.deletedAt === null) {
    const now = Timestamp.fromDate(clock.now());
    await ref.update({ deletedAt: now, updatedAt: now, updatedBy: caller.uid });
  }
  return { deleted: 'soft' };
}

export async function restoreTask(
  db: Firestore,
  clock: Clock,
  caller: Caller,
  taskId: string,
): Promise<Task> {
  const { task } = await loadTaskFor(db, taskId, caller);
  if (task.deletedAt === null) {
    throw new AppError('FAILED_PRECONDITION', `Task ${taskId} is not deleted`);
  }
  const now = Timestamp.fromDate(clock.now());
  await db
    .collection(TASKS)
    .doc(taskId)
    .update({ deletedAt: null, updatedAt: now, updatedBy: caller.uid });
  return toTask(taskId, { ...task, deletedAt: null, updatedAt: now, updatedBy: caller.uid });
}

export interface TaskListInput {
  projectId?: string | undefined;
  assigneeId?: string | undefined;
  status?: TaskStatus | undefined;
  priority?: TaskPriority | undefined;
  dueFrom?: string | undefined;
  dueTo?: string | undefined;
  includeDeleted: boolean;
  sort: TaskSort;
  limit: number;
  cursor?: string | undefined;
}

/**
 * One page of tasks. A listing is scoped to a project the caller is a member of, or to an
 * assignee (the caller, or anyone for an admin) — never the whole collection. Pages follow a
 * stable order with an opaque cursor, so each task shows up once across pages even while tasks are
 * added (new ones sort before the cursor with `createdAt desc`).
 */
export async function listTasks(
  db: Firestore,
  caller: Caller,
  input: TaskListInput,
): Promise<{ tasks: Task[]; nextCursor: string | null }> {
  if (input.projectId !== undefined) {
    await loadProjectFor(db, input.projectId, caller);
  } else if (input.assigneeId !== undefined) {
    if (input.assigneeId !== caller.uid && !caller.admin) throw AppError.forbidden();
  } else {
    throw AppError.validation([
      { field: 'projectId', message: 'projectId or assigneeId is required' },
    ]);
  }
  const dueRange = input.dueFrom !== undefined || input.dueTo !== undefined;
  const sort: TaskSort = dueRange ? 'dueDate' : input.sort;
  const shape = taskListShape({
    projectId: input.projectId !== undefined,
    assigneeId: input.assigneeId !== undefined,
    status: input.status !== undefined,
    priority: input.priority !== undefined,
    includeDeleted: input.includeDeleted,
    dueRange,
    sort,
  });
  let query = applyShape(taskDocs(db), shape, {
    equals: {
      projectId: input.projectId,
      assigneeId: input.assigneeId,
      status: input.status,
      priority: input.priority,
      deletedAt: null,
    },
    range: {
      from: input.dueFrom === undefined ? undefined : Timestamp.fromDate(new Date(input.dueFrom)),
      to: input.dueTo === undefined ? undefined : Timestamp.fromDate(new Date(input.dueTo)),
    },
  });
  if (input.cursor !== undefined) {
    // The sort value as [seconds, nanoseconds] (exact: client-written timestamps have microseconds).
    const c = decodeSortCursor(input.cursor, sort);
    query = query.startAfter(c.v === null ? null : new Timestamp(c.v[0], c.v[1]), c.id);
  }
  // One extra document tells whether there is a next page without another round trip.
  const snap = await query.limit(input.limit + 1).get();
  const docs = snap.docs.slice(0, input.limit);
  const tasks = docs.map((d) => toTask(d.id, d.data()));
  const last = docs[docs.length - 1];
  let nextCursor: string | null = null;
  if (snap.size > input.limit && last !== undefined) {
    const v = last.data()[sort];
    nextCursor = encodeSortCursor(sort, v, last.id);
  }
  return { tasks, nextCursor };
}
