import type { QueryShape } from '../../core/query-shape';
import { TASKS } from '../../storage/collections';

export type TaskSort = 'createdAt' | 'dueDate';

/** Which filters a task listing uses; the query shape (and so its index) follows from them. */
export interface TaskListFilterKinds {
  projectId: boolean;
  assigneeId: boolean;
  status: boolean;
  priority: boolean;
  /** Soft-deleted tasks are excluded (`deletedAt == null`) unless asked for. */
  includeDeleted: boolean;
  dueRange: boolean;
  sort: TaskSort;
}

/**
 * The query of `GET /api/tasks` for a set of filters. Sorting is newest first (`createdAt desc`) or
 * soonest due first (`dueDate asc`, forced when a due range is given, since Firestore orders a
 * range field first); the document id breaks ties, so pages are stable.
 */
export function taskListShape(f: TaskListFilterKinds): QueryShape {
  const equals: string[] = [];
  if (f.projectId) equals.push('projectId');
  if (f.assigneeId) equals.push('assigneeId');
  if (f.status) equals.push('status');
  if (f.priority) equals.push('priority');
  if (!f.includeDeleted) equals.push('deletedAt');
  const sort: TaskSort = f.dueRange ? 'dueDate' : f.sort;
  return {
    collection: TASKS,
    equals,
    ...(f.dueRange ? { range: 'dueDate' } : {}),
    orderBy: [sort === 'dueDate' ? ['dueDate', 'asc'] : ['createdAt', 'desc']],
  };
}

/** Every shape `GET /api/tasks` can produce (a listing needs projectId or assigneeId). */
export function allTaskListShapes(): QueryShape[] {
  const shapes: QueryShape[] = [];
  const bools = [false, true];
  for (const projectId of bools)
    for (const assigneeId of bools) {
      if (!projectId && !assigneeId) continue;
      for (const status of bools)
        for (const priority of bools)
          for (const includeDeleted of bools)
            for (const dueRange of bools)
              for (const sort of ['createdAt', 'dueDate'] as const)
                shapes.push(
                  taskListShape({
                    projectId,
                    assigneeId,
                    status,
                    priority,
                    includeDeleted,
                    dueRange,
                    sort,
                  }),
                );
    }
  return shapes;
}
