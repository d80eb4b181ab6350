import { Timestamp, type Firestore } from 'firebase-admin/firestore';
import type { Clock } from '../../core/clock';
import { AppError } from '../../core/errors';
import type { Caller } from '../../core/operation';
import { applyShape, type QueryShape } from '../../core/query-shape';
import { loadProjectFor, MY_PROJECTS_QUERY } from '../projects/project.service';
import type { Task } from '../tasks/task.schema';
import type { TaskEffect } from '../tasks/task-write';
import { toTask } from '../tasks/task.service';
import { MIN_PREFIX, queryTokens, searchTokens } from './search-tokens';
import { PROJECTS, TASKS, TASK_SEARCH } from '../../storage/collections';
import { taskConverter, taskSearchDocs } from '../../storage/refs';

/**
 * Task search over `taskSearch/{taskId}`: one server-owned document per task holding its search
 * tokens and the fields a search filters on. It is kept by the task trigger (so client writes
 * through the SDK are indexed too) in its own collection, so indexing never writes into
 * `tasks/{id}` and never fires the task trigger again.
 */

/** Most projects one cross-project search covers (each `in` query takes 30). */
export const MAX_SEARCH_PROJECTS = 300;
/** Most candidates read per search before the remaining words are checked in memory. */
export const MAX_CANDIDATES = 500;
const IN_CHUNK = 30;

/** `taskSearch/{taskId}` as stored. */
export interface TaskSearchDoc {
  projectId: string;
  workspaceId: string;
  assigneeId: string | null;
  deleted: boolean;
  tokens: string[];
  indexedAt: Timestamp;
}

/** Candidates: live tasks of some projects holding one token (`projectId in [...]`). */
export const TASK_SEARCH_QUERY: QueryShape = {
  collection: TASK_SEARCH,
  equals: ['projectId', 'deleted'],
  arrayContains: 'tokens',
  orderBy: [],
};

/** The task fields the search document is derived from. */
interface Indexed {
  title: string;
  description: string;
  projectId: string;
  workspaceId: string;
  assigneeId: string | null;
  deleted: boolean;
}

function indexed(data: Record<string, unknown> | undefined): Indexed | null {
  if (data === undefined) return null;
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  return {
    title: str(data.title),
    description: str(data.description),
    projectId: str(data.projectId),
    workspaceId: str(data.workspaceId),
    assigneeId: typeof data.assigneeId === 'string' ? data.assigneeId : null,
    deleted: data.deletedAt !== null && data.deletedAt !== undefined,
  };
}

function sameIndexed(a: Indexed | null, b: Indexed | null): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Keeps a task's search document in step with one write of the task. A write that changes none
 * of the indexed fields (status, due date, reminder bookkeeping…) costs nothing. Otherwise the
 * document is rebuilt from the task as it is now (one read), not from the event: a redelivered
 * or late event then converges on the current task instead of restoring an older one.
 */
export async function indexTaskForSearch(
  db: Firestore,
  clock: Clock,
  write: {
    taskId: string;
    before: Record<string, unknown> | undefined;
    after: Record<string, unknown> | undefined;
  },
): Promise<'unchanged' | 'indexed' | 'removed'> {
  if (sameIndexed(indexed(write.before), indexed(write.after))) return 'unchanged';
  const ref = db.collection(TASK_SEARCH).doc(write.taskId);
  const current = indexed((await db.collection(TASKS).doc(write.taskId).get()).data());
  if (current === null) {
    await ref.delete();
    return 'removed';
  }
  const doc: TaskSearchDoc = {
    projectId: current.projectId,
    workspaceId: current.workspaceId,
    assigneeId: current.assigneeId,
    deleted: current.deleted,
    tokens: searchTokens(current.title, current.description),
    indexedAt: Timestamp.fromDate(clock.now()),
  };
  await ref.set(doc);
  return 'indexed';
}

/** The task trigger's search effect: {@link indexTaskForSearch} on the parsed write. */
export const indexSearchEffect: TaskEffect = {
  name: 'search',
  run: (write, { deps }) =>
    write.kind === 'invalid'
      ? Promise.resolve('unchanged')
      : indexTaskForSearch(deps.db, deps.clock, {
          taskId: write.taskId,
          before: write.before ?? undefined,
          after: write.after ?? undefined,
        }),
};

export interface SearchInput {
  q: string;
  projectId?: string | undefined;
  limit: number;
}

/**
 * Tasks whose title or description has a word starting with each word of `q` (case and accents
 * ignored), in one project the caller is a member of or across all of their projects; soft-deleted
 * tasks excluded; most recently updated first.
 */
export async function searchTasks(
  db: Firestore,
  caller: Caller,
  input: SearchInput,
): Promise<{ tasks: Task[] }> {
  const tokens = queryTokens(input.q);
  const [first, ...rest] = tokens;
  if (first === undefined) {
    throw new AppError(
      'VALIDATION_ERROR',
      `q: needs a word of at least ${MIN_PREFIX} letters or digits`,
      [{ field: 'q', message: `needs a word of at least ${MIN_PREFIX} letters or digits` }],
    );
  }
  let projectIds: string[];
  if (input.projectId !== undefined) {
    await loadProjectFor(db, input.projectId, caller);
    projectIds = [input.projectId];
  } else {
    const mine = await applyShape(db.collection(PROJECTS), MY_PROJECTS_QUERY, {
      equals: {},
      arrayContains: caller.uid,
    })
      .limit(MAX_SEARCH_PROJECTS)
      .get();
    projectIds = mine.docs.map((d) => d.id);
  }
  if (projectIds.length === 0) return { tasks: [] };

  const candidates: string[] = [];
  for (let i = 0; i < projectIds.length && candidates.length < MAX_CANDIDATES; i += IN_CHUNK) {
    const snap = await applyShape(taskSearchDocs(db), TASK_SEARCH_QUERY, {
      equals: { deleted: false },
      oneOf: { projectId: projectIds.slice(i, i + IN_CHUNK) },
      arrayContains: first,
    })
      .limit(MAX_CANDIDATES - candidates.length)
      .get();
    for (const d of snap.docs) {
      const tokens = new Set(d.data().tokens);
      if (rest.every((t) => tokens.has(t))) candidates.push(d.id);
    }
  }
  if (candidates.length === 0) return { tasks: [] };
  const snaps = await db.getAll(...candidates.map((id) => db.collection(TASKS).doc(id)));
  const allowed = new Set(projectIds);
  const tasks = snaps
    .flatMap((s) => {
      const doc = taskConverter.read(s);
      return doc === undefined ? [] : [toTask(s.id, doc)];
    })
    // The index trails the task by one trigger run: check the task itself too.
    .filter((t) => t.deletedAt === null && allowed.has(t.projectId))
    .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt) || a.id.localeCompare(b.id));
  return { tasks: tasks.slice(0, input.limit) };
}
