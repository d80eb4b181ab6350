import { Timestamp, type Firestore, type Query, type Transaction } from 'firebase-admin/firestore';
import type { Clock } from '../../core/clock';
import type { Caller } from '../../core/operation';
import { applyShape, type QueryShape } from '../../core/query-shape';
import { MY_PROJECTS_QUERY, loadProjectFor } from '../projects/project.service';
import type { ProjectDoc } from '../projects/project.schema';
import type { TaskPriority, TaskStatus } from '../tasks/task.schema';
import {
  WORKSPACE_PROJECTS_OF_MEMBER_QUERY,
  loadWorkspaceFor,
} from '../workspaces/workspace.service';
import type {
  DashboardInput,
  DashboardScope,
  DashboardStats,
  ProjectFigures,
  TaskFigures,
} from './dashboard.schema';
import { PROJECTS, TASKS } from '../../storage/collections';
import { projectDocs } from '../../storage/refs';

/** Statuses that count as pending (and can be overdue). */
export const OPEN_STATUSES: readonly TaskStatus[] = ['todo', 'in_progress'];
const PRIORITIES: readonly TaskPriority[] = ['low', 'medium', 'high'];
/** Aggregation queries in flight at once for one dashboard. */
const MAX_CONCURRENT_AGGREGATIONS = 16;

/** The equality fields that select a dashboard's tasks (besides `deletedAt == null`). */
type ScopeFields = readonly string[];
const MY_TASKS: ScopeFields = ['assigneeId'];
const PROJECT_TASKS: ScopeFields = ['projectId'];
const WORKSPACE_TASKS: ScopeFields = ['workspaceId'];
const MY_TASKS_IN_PROJECT: ScopeFields = ['projectId', 'assigneeId'];

interface FigureShapes {
  all: QueryShape;
  completed: QueryShape;
  byPriority: QueryShape;
  /** `status in OPEN_STATUSES` (an `in` filter, indexed like `==`) and `dueDate < now`. */
  overdue: QueryShape;
}

function figureShapes(fields: ScopeFields): FigureShapes {
  const equals = [...fields, 'deletedAt'];
  return {
    all: { collection: TASKS, equals, orderBy: [] },
    completed: { collection: TASKS, equals: [...equals, 'status'], orderBy: [] },
    byPriority: { collection: TASKS, equals: [...equals, 'priority'], orderBy: [] },
    overdue: { collection: TASKS, equals: [...equals, 'status'], range: 'dueDate', orderBy: [] },
  };
}

/** Every project of a workspace (for its owners and admins); document-id order. */
export const WORKSPACE_PROJECTS_QUERY: QueryShape = {
  collection: PROJECTS,
  equals: ['workspaceId'],
  orderBy: [],
};

/** Every query shape the dashboard runs, for the index catalog (src/domain/query-catalog.ts). */
export function dashboardQueryShapes(): QueryShape[] {
  const scoped = [MY_TASKS, PROJECT_TASKS, WORKSPACE_TASKS].flatMap((fields) => {
    const s = figureShapes(fields);
    return [s.all, s.completed, s.byPriority, s.overdue];
  });
  const perProject = figureShapes(MY_TASKS_IN_PROJECT);
  return [
    ...scoped,
    perProject.all,
    perProject.completed,
    perProject.overdue,
    MY_PROJECTS_QUERY,
    WORKSPACE_PROJECTS_OF_MEMBER_QUERY,
    WORKSPACE_PROJECTS_QUERY,
  ];
}

/**
 * Runs `fn`s with at most `max` in flight: a dashboard fans out into up to 156 aggregation
 * queries, and one gRPC channel multiplexes about 100 streams.
 */
function limiter(max: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (fn) => {
    if (active < max) active++;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await fn();
    } finally {
      // A finished call hands its slot straight to the next waiter.
      const next = waiting.shift();
      if (next === undefined) active--;
      else next();
    }
  };
}

/** Counts the documents of a query with a `count()` aggregation: no document is downloaded. */
type Counter = (query: Query) => Promise<number>;

async function figuresOf(
  db: Firestore,
  count: Counter,
  fields: ScopeFields,
  values: Record<string, string>,
  now: Timestamp,
): Promise<TaskFigures> {
  const shapes = figureShapes(fields);
  const tasks = db.collection(TASKS);
  const equals = { ...values, deletedAt: null };
  const [total, completed, overdue] = await Promise.all([
    count(applyShape(tasks, shapes.all, { equals })),
    count(applyShape(tasks, shapes.completed, { equals: { ...equals, status: 'done' } })),
    count(
      applyShape(tasks, shapes.overdue, {
        equals,
        oneOf: { status: OPEN_STATUSES },
        range: { to: now },
      }),
    ),
  ]);
  // Both counts come from one read-only transaction (one snapshot), so this is exact.
  return { total, completed, pending: Math.max(0, total - completed), overdue };
}

async function priorityCounts(
  db: Firestore,
  count: Counter,
  fields: ScopeFields,
  values: Record<string, string>,
): Promise<DashboardStats['byPriority']> {
  const shape = figureShapes(fields).byPriority;
  const [low, medium, high] = await Promise.all(
    PRIORITIES.map((priority) =>
      count(
        applyShape(db.collection(TASKS), shape, {
          equals: { ...values, deletedAt: null, priority },
        }),
      ),
    ),
  );
  return { low: low ?? 0, medium: medium ?? 0, high: high ?? 0 };
}

/** What a scope resolves to before anything is counted. */
interface ResolvedScope {
  scope: DashboardScope;
  fields: ScopeFields;
  values: Record<string, string>;
  /** The projects to list (read inside the transaction), or the one project of a project scope. */
  projects:
    | {
        kind: 'query';
        query: Query<ProjectDoc>;
        fields: ScopeFields;
        values: Record<string, string>;
      }
    | { kind: 'self'; projectId: string; name: string };
}

async function resolveScope(
  db: Firestore,
  caller: Caller,
  input: DashboardInput,
): Promise<ResolvedScope> {
  const projects = projectDocs(db);
  if (input.projectId !== undefined) {
    const project = await loadProjectFor(db, input.projectId, caller);
    return {
      scope: { type: 'project', projectId: input.projectId, name: project.name },
      fields: PROJECT_TASKS,
      values: { projectId: input.projectId },
      projects: { kind: 'self', projectId: input.projectId, name: project.name },
    };
  }
  if (input.workspaceId !== undefined) {
    const { workspaceId } = input;
    const { ws, role } = await loadWorkspaceFor(db, workspaceId, caller);
    // Workspace owners and admins manage every project of it; a plain member sees only theirs.
    const seesAll = caller.admin || role === 'owner' || role === 'admin';
    const query = seesAll
      ? applyShape(projects, WORKSPACE_PROJECTS_QUERY, { equals: { workspaceId } })
      : applyShape(projects, WORKSPACE_PROJECTS_OF_MEMBER_QUERY, {
          equals: { workspaceId },
          arrayContains: caller.uid,
        });
    return {
      scope: { type: 'workspace', workspaceId, name: ws.name },
      fields: WORKSPACE_TASKS,
      values: { workspaceId },
      projects: { kind: 'query', query, fields: PROJECT_TASKS, values: {} },
    };
  }
  return {
    scope: { type: 'me', userId: caller.uid },
    fields: MY_TASKS,
    values: { assigneeId: caller.uid },
    projects: {
      kind: 'query',
      query: applyShape(projects, MY_PROJECTS_QUERY, { equals: {}, arrayContains: caller.uid }),
      fields: MY_TASKS_IN_PROJECT,
      values: { assigneeId: caller.uid },
    },
  };
}

function byName(a: ProjectFigures, b: ProjectFigures): number {
  return a.name.localeCompare(b.name) || a.projectId.localeCompare(b.projectId);
}

/**
 * Task statistics for the caller's dashboard: totals, completed, pending, overdue, by
 * priority and by project, for the tasks assigned to the caller (default), one project or one
 * workspace they belong to (403 otherwise; platform admins may look at any).
 *
 * Every figure is a `count()` aggregation query — no task document is downloaded — run in one
 * read-only transaction, so they all describe the same snapshot (pending = total − completed is
 * exact, and the by-priority figures add up to the total). Soft-deleted tasks are left out;
 * "overdue" means status todo/in_progress and a dueDate strictly before the server's `now`.
 *
 * Cost: 6 aggregation queries for the scope (total, completed, overdue, 3 priorities) plus 3 per
 * listed project (none for a project scope), each billed one document read per 1,000 index entries
 * it matches (at least one), plus the project documents listed (`projectLimit` + 1).
 */
export async function getDashboardStats(
  db: Firestore,
  clock: Clock,
  caller: Caller,
  input: DashboardInput,
): Promise<DashboardStats> {
  const nowDate = clock.now();
  const now = Timestamp.fromDate(nowDate);
  const resolved = await resolveScope(db, caller, input);
  const limit = input.projectLimit;

  return db.runTransaction(
    async (tx: Transaction) => {
      const run = limiter(MAX_CONCURRENT_AGGREGATIONS);
      const count: Counter = (query) => run(async () => (await tx.get(query.count())).data().count);

      let listed: { projectId: string; name: string }[];
      let truncated: boolean;
      const { projects } = resolved;
      if (projects.kind === 'self') {
        listed = limit > 0 ? [{ projectId: projects.projectId, name: projects.name }] : [];
        truncated = limit === 0;
      } else {
        // One more than asked tells whether any was left out.
        const page = await tx.get(projects.query.limit(limit + 1));
        const docs = page.docs.slice(0, limit);
        listed = docs.map((d) => ({ projectId: d.id, name: d.data().name }));
        truncated = page.size > limit;
      }

      const [totals, byPriority, perProject] = await Promise.all([
        figuresOf(db, count, resolved.fields, resolved.values, now),
        priorityCounts(db, count, resolved.fields, resolved.values),
        projects.kind === 'self'
          ? Promise.resolve(null)
          : Promise.all(
              listed.map(async (p) => ({
                ...p,
                ...(await figuresOf(
                  db,
                  count,
                  projects.fields,
                  { ...projects.values, projectId: p.projectId },
                  now,
                )),
              })),
            ),
      ]);
      const byProject: ProjectFigures[] = perProject ?? listed.map((p) => ({ ...p, ...totals }));
      return {
        scope: resolved.scope,
        totals,
        byPriority,
        byProject: byProject.sort(byName),
        byProjectTruncated: truncated,
        generatedAt: nowDate.toISOString(),
      };
    },
    { readOnly: true },
  );
}
