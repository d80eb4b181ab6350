import type { QueryShape } from '../core/query-shape';
import { LAST_TASK_START_QUERY } from './analytics/activity.service';
import { dashboardQueryShapes } from './analytics/dashboard.service';
import {
  ALL_USERS_QUERY,
  TASKS_ASSIGNED_TO_QUERY,
  TASKS_CREATED_BY_QUERY,
  USER_ACTIVITY_BY_TIME_QUERY,
} from './analytics/stats-backfill.service';
import { OPEN_DUE_TASKS_QUERY, USER_DAYS_QUERY } from './analytics/summary.service';
import {
  BURST_QUERY,
  RECENT_GROUP_QUERY,
  DUE_DELIVERIES_QUERY,
  STUCK_DELIVERIES_QUERY,
} from './notifications/delivery.service';
import { BROADCAST_AUDIENCE_QUERY } from './notifications/broadcast.service';
import { PROFILES_CHECKED_FOR_QUERY } from './notifications/suppression-check.service';
import {
  INBOX_COUNT_QUERY,
  INBOX_QUERY,
  UNREAD_INBOX_QUERY,
  UNREAD_QUERY,
} from './notifications/inbox.service';
import {
  MY_PROJECTS_IN_WORKSPACE_QUERY,
  MY_PROJECTS_QUERY,
  PROJECT_TASKS_OF_ASSIGNEE_QUERY,
} from './projects/project.service';
import { COMPLETED_TASKS_QUERY, OPEN_TASKS_BY_DUE_QUERY } from './digests/digest-content.service';
import { DUE_DIGESTS_QUERY } from './digests/digest-sweep.service';
import { DUE_REMINDERS_QUERY, OVERDUE_CHECKS_QUERY } from './reminders/reminder-sweeps.service';
import {
  MY_INVITATIONS_QUERY,
  WORKSPACE_INVITATIONS_QUERY,
} from './invitations/invitation.service';
import { SCHEDULING_QUERIES } from './scheduling/scheduling.query';
import { TASK_SEARCH_QUERY } from './search/task-search.service';
import { allTaskListShapes } from './tasks/task-list.query';
import { EXPORT_QUERIES } from './users/export-plan';
import {
  MY_WORKSPACES_QUERY,
  WORKSPACE_PROJECTS_OF_MEMBER_QUERY,
} from './workspaces/workspace.service';

/**
 * Every query shape the backend runs, plus the ones the Flutter client runs through the SDK.
 * `test/unit/indexes.test.ts` fails when one of them has no index in firestore.indexes.json.
 * A new query goes here in the same change that adds it.
 */
export const SERVER_QUERIES: readonly QueryShape[] = [
  MY_WORKSPACES_QUERY,
  WORKSPACE_PROJECTS_OF_MEMBER_QUERY,
  MY_PROJECTS_QUERY,
  MY_PROJECTS_IN_WORKSPACE_QUERY,
  PROJECT_TASKS_OF_ASSIGNEE_QUERY,
  ...allTaskListShapes(),
  // The inbox (inbox.service.ts): its pages, the unread tab, the counts and mark-all-read.
  INBOX_QUERY,
  UNREAD_INBOX_QUERY,
  UNREAD_QUERY,
  INBOX_COUNT_QUERY,
  // The notification engine (delivery.service.ts): due and stuck records, one burst's records.
  DUE_DELIVERIES_QUERY,
  STUCK_DELIVERIES_QUERY,
  BURST_QUERY,
  RECENT_GROUP_QUERY,
  // Admin broadcasts (broadcast.service.ts): the audience counted, then paged by document id.
  BROADCAST_AUDIENCE_QUERY,
  // The suppression webhook (suppression-check.service.ts): the profiles that trust an address.
  PROFILES_CHECKED_FOR_QUERY,
  // The reminder and overdue sweeps (reminders/reminder-sweeps.service.ts): a range and sort on one server-owned
  // instant of taskSchedules, served by its automatic single-field index (no composite index).
  DUE_REMINDERS_QUERY,
  OVERDUE_CHECKS_QUERY,
  // Analytics: a task's last recorded start (trigger), a summary's days and overdue count, the
  // stats backfill's pages.
  LAST_TASK_START_QUERY,
  USER_DAYS_QUERY,
  OPEN_DUE_TASKS_QUERY,
  USER_ACTIVITY_BY_TIME_QUERY,
  TASKS_CREATED_BY_QUERY,
  TASKS_ASSIGNED_TO_QUERY,
  ALL_USERS_QUERY,
  // The dashboard (dashboard.service.ts): count() aggregations per scope and project.
  ...dashboardQueryShapes(),
  // The GDPR export (export.service.ts): every collection holding the user's data, paged by id.
  ...EXPORT_QUERIES,
  // Daily/weekly summaries (digests/): the due schedules (single field), and per digest a user's
  // tasks completed in the period and open tasks by due date (each list and its count()).
  DUE_DIGESTS_QUERY,
  COMPLETED_TASKS_QUERY,
  OPEN_TASKS_BY_DUE_QUERY,
  // Invitations (invitations/invitation.service.ts): a workspace's, and an address's, open ones.
  WORKSPACE_INVITATIONS_QUERY,
  MY_INVITATIONS_QUERY,
  // Task search (search/task-search.service.ts): candidates of some projects holding one token.
  TASK_SEARCH_QUERY,
  // Scheduling (scheduling/scheduling.query.ts): the job dispatcher, jobs API, recurring tasks, cleanup.
  ...SCHEDULING_QUERIES,
  // Account deletion (account.service.ts): single-field filters, served by automatic indexes.
  { collection: 'tasks', equals: ['assigneeId'], orderBy: [] },
  { collection: 'workspaces', equals: [], arrayContains: 'members', orderBy: [] },
  { collection: 'projects', equals: [], arrayContains: 'members', orderBy: [] },
  { collection: 'activity', equals: ['userId'], orderBy: [] },
  { collection: 'deliveries', equals: ['recipientId'], orderBy: [] },
];

/**
 * Where a filter value of a client query comes from, as the app fills it in: the signed-in user's
 * uid or verified email, the id of a project or workspace the user has open, or a fixed value.
 */
export type ClientValue =
  | { from: 'caller' }
  | { from: 'callerEmail' }
  | { from: 'project' }
  | { from: 'workspace' }
  | { value: string | boolean | null };

/** One query of the Flutter app (Firestore SDK under firestore.rules). */
export interface ClientQuery {
  /** Stable name, used by the app's docs and the tests. */
  name: string;
  /** Collection path; `{uid}` is the signed-in user's uid (`users/{uid}/notifications`). */
  path: string;
  shape: QueryShape;
  /** The value of each `equals` field, and of `arrayContains` (key `arrayContains`). */
  values: Readonly<Record<string, ClientValue>>;
}

const caller = { from: 'caller' } as const;
const project = { from: 'project' } as const;
const nul = { value: null } as const;

/**
 * Queries of the Flutter app. Each one is run under the security rules by
 * `test/rules/client-queries.rules.test.ts` (as a member: allowed, the right documents; as an
 * outsider with the member's values: denied) and checked against firestore.indexes.json by
 * `test/unit/indexes.test.ts`: a query added here is tested by both without more code.
 */
export const CLIENT_QUERY_CATALOG: readonly ClientQuery[] = [
  {
    name: 'myTasks',
    path: 'tasks',
    shape: {
      collection: 'tasks',
      equals: ['assigneeId', 'deletedAt'],
      orderBy: [['dueDate', 'asc']],
    },
    values: { assigneeId: caller, deletedAt: nul },
  },
  {
    name: 'projectTasksByStatus',
    path: 'tasks',
    shape: {
      collection: 'tasks',
      equals: ['projectId', 'status', 'deletedAt'],
      orderBy: [['dueDate', 'asc']],
    },
    values: { projectId: project, status: { value: 'todo' }, deletedAt: nul },
  },
  {
    name: 'projectBoard',
    path: 'tasks',
    shape: {
      collection: 'tasks',
      equals: ['projectId', 'deletedAt'],
      orderBy: [['createdAt', 'desc']],
    },
    values: { projectId: project, deletedAt: nul },
  },
  {
    name: 'inbox',
    path: 'users/{uid}/notifications',
    shape: { collection: 'notifications', equals: [], orderBy: [['createdAt', 'desc']] },
    values: {},
  },
  {
    name: 'unreadInbox',
    path: 'users/{uid}/notifications',
    shape: { collection: 'notifications', equals: ['read'], orderBy: [['createdAt', 'desc']] },
    values: { read: { value: false } },
  },
  {
    name: 'myWorkspaces',
    path: 'workspaces',
    shape: MY_WORKSPACES_QUERY,
    values: { arrayContains: caller },
  },
  {
    name: 'myProjectsInWorkspace',
    path: 'projects',
    shape: MY_PROJECTS_IN_WORKSPACE_QUERY,
    values: { workspaceId: { from: 'workspace' }, arrayContains: caller },
  },
  {
    name: 'workspaceInvitations',
    path: 'invitations',
    shape: WORKSPACE_INVITATIONS_QUERY,
    values: { workspaceId: { from: 'workspace' }, status: { value: 'pending' } },
  },
  {
    name: 'myInvitations',
    path: 'invitations',
    shape: MY_INVITATIONS_QUERY,
    values: { email: { from: 'callerEmail' }, status: { value: 'pending' } },
  },
];

/** The shapes of {@link CLIENT_QUERY_CATALOG}, for the index check. */
export const CLIENT_QUERIES: readonly QueryShape[] = CLIENT_QUERY_CATALOG.map((q) => q.shape);
