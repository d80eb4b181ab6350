import type { QueryShape } from '../core/query-shape';
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
import { allTaskListShapes } from './tasks/task-list.query';
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
  // Account deletion (account.service.ts): single-field filters, served by automatic indexes.
  { collection: 'tasks', equals: ['assigneeId'], orderBy: [] },
  { collection: 'workspaces', equals: [], arrayContains: 'members', orderBy: [] },
  { collection: 'projects', equals: [], arrayContains: 'members', orderBy: [] },
  { collection: 'activity', equals: ['userId'], orderBy: [] },
];

/** Queries of the Flutter app (Firestore SDK under firestore.rules). */
export const CLIENT_QUERIES: readonly QueryShape[] = [
  // My open tasks, soonest due first.
  { collection: 'tasks', equals: ['assigneeId', 'deletedAt'], orderBy: [['dueDate', 'asc']] },
  // A project's tasks by status, soonest due first.
  {
    collection: 'tasks',
    equals: ['projectId', 'status', 'deletedAt'],
    orderBy: [['dueDate', 'asc']],
  },
  // A project board, newest first.
  { collection: 'tasks', equals: ['projectId', 'deletedAt'], orderBy: [['createdAt', 'desc']] },
  // My inbox by time, and its unread tab.
  { collection: 'notifications', equals: [], orderBy: [['createdAt', 'desc']] },
  { collection: 'notifications', equals: ['read'], orderBy: [['createdAt', 'desc']] },
  // My workspaces and projects.
  MY_WORKSPACES_QUERY,
  MY_PROJECTS_IN_WORKSPACE_QUERY,
];
