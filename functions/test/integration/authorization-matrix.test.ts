import request from 'supertest';
import type { Express } from 'express';
import { createApp } from '../../src/http/app';
import { operations } from '../../src/operations/registry';
import { createTestUser, type TestUser } from '../support/auth';
import { createTestFirestore } from '../support/firestore';
import { testRuntime } from '../support/runtime';

/**
 * Every REST route × {anonymous, outsider, member, admin}, with real ID tokens. A route added to
 * the registry without a row here fails the first test, so none escapes the matrix.
 */
const fs = createTestFirestore();
let owner: TestUser; // owns workspace, project and task
let member: TestUser; // member of workspace and project
let outsider: TestUser;
let admin: TestUser; // platform admin (custom claim), member of nothing
let app: Express;
const W = 'ws-matrix';
const P = 'project-matrix';
const T = 'task-matrix';
const N = 'notification-matrix'; // in the member's inbox only
const J = 'job-matrix'; // a scheduled job (custom notification to a topic)
const BJ = `bj_${'b'.repeat(40)}`; // a broadcast job (admin bulk send)

type Role = 'anonymous' | 'outsider' | 'member' | 'admin';
interface Row {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: () => string;
  body?: () => object;
  query?: () => Record<string, string>;
  /** Expected status per role. */
  expect: Record<Role, number>;
}

const fixture = () => ({ W, P, T });
const everyoneSignedIn = (status: number) => ({
  anonymous: 401,
  outsider: status,
  member: status,
  admin: status,
});
const membersOnly = (ok: number) => ({ anonymous: 401, outsider: 403, member: ok, admin: ok });
// The inbox is always the caller's own: N exists for the member; for anyone else (an admin too)
// the same path names an item of their own inbox that is not there.
const adminOnly = (ok: number) => ({ anonymous: 401, outsider: 403, member: 403, admin: ok });
const ownInboxItem = (ok: number) => ({ anonymous: 401, outsider: 404, member: ok, admin: 404 });

const matrix: Record<string, Row> = {
  getPreferences: {
    method: 'get',
    path: () => `/api/users/${member.uid}/preferences`,
    expect: { anonymous: 401, outsider: 403, member: 200, admin: 200 },
  },
  updatePreferences: {
    method: 'put',
    path: () => `/api/users/${member.uid}/preferences`,
    body: () => ({ preferences: { dailySummary: false } }),
    expect: { anonymous: 401, outsider: 403, member: 200, admin: 200 },
  },
  registerDevice: {
    method: 'post',
    path: () => `/api/users/${member.uid}/devices`,
    body: () => ({ token: `tok-${'m'.repeat(40)}`, platform: 'ios' }),
    expect: { anonymous: 401, outsider: 403, member: 201, admin: 201 },
  },
  unregisterDevice: {
    method: 'delete',
    path: () => `/api/users/${member.uid}/devices`,
    query: () => ({ deviceId: 'nothing-here' }),
    expect: { anonymous: 401, outsider: 403, member: 200, admin: 200 },
  },
  exportUserData: {
    method: 'get',
    path: () => `/api/users/${member.uid}/export`,
    expect: { anonymous: 401, outsider: 403, member: 200, admin: 200 },
  },
  getDashboardStats: {
    method: 'get',
    path: () => '/api/dashboard/stats',
    query: () => ({ projectId: P }),
    expect: membersOnly(200),
  },
  createWorkspace: {
    method: 'post',
    path: () => '/api/workspaces',
    body: () => ({ name: 'New' }),
    expect: everyoneSignedIn(201),
  },
  listWorkspaces: { method: 'get', path: () => '/api/workspaces', expect: everyoneSignedIn(200) },
  searchTasks: {
    method: 'get',
    path: () => '/api/tasks/search',
    query: () => ({ q: 'task', projectId: P }),
    expect: membersOnly(200),
  },
  getWorkspace: {
    method: 'get',
    path: () => `/api/workspaces/${fixture().W}`,
    expect: membersOnly(200),
  },
  addWorkspaceMember: {
    method: 'post',
    path: () => `/api/workspaces/${W}/members`,
    body: () => ({ userId: member.uid }),
    // Adding a uid without consent: platform admins only (members invite by email).
    expect: adminOnly(200),
  },
  inviteToWorkspace: {
    method: 'post',
    path: () => `/api/workspaces/${W}/invitations`,
    body: () => ({ email: 'new.person@taskflow.test' }),
    expect: membersOnly(201),
  },
  listWorkspaceInvitations: {
    method: 'get',
    path: () => `/api/workspaces/${W}/invitations`,
    expect: membersOnly(200),
  },
  // The test accounts' addresses are not verified: invitations by address need that first.
  listMyInvitations: {
    method: 'get',
    path: () => '/api/invitations',
    expect: everyoneSignedIn(400),
  },
  acceptInvitation: {
    method: 'post',
    path: () => '/api/invitations/inv-none/accept',
    expect: everyoneSignedIn(400),
  },
  declineInvitation: {
    method: 'post',
    path: () => '/api/invitations/inv-none/decline',
    expect: everyoneSignedIn(400),
  },
  revokeInvitation: {
    method: 'post',
    path: () => '/api/invitations/inv-none/revoke',
    expect: everyoneSignedIn(404),
  },
  changeWorkspaceMemberRole: {
    method: 'put',
    path: () => `/api/workspaces/${W}/members/${member.uid}`,
    body: () => ({ role: 'member' }),
    expect: { anonymous: 401, outsider: 403, member: 403, admin: 200 },
  },
  removeWorkspaceMember: {
    method: 'delete',
    path: () => `/api/workspaces/${W}/members/${outsider.uid}`,
    // Even "leaving" needs membership; a plain member may not remove others.
    expect: { anonymous: 401, outsider: 403, member: 403, admin: 200 },
  },
  createProject: {
    method: 'post',
    path: () => '/api/projects',
    body: () => ({ workspaceId: W, name: 'Another' }),
    expect: membersOnly(201),
  },
  listProjects: { method: 'get', path: () => '/api/projects', expect: everyoneSignedIn(200) },
  getProject: { method: 'get', path: () => `/api/projects/${P}`, expect: membersOnly(200) },
  addProjectMember: {
    method: 'post',
    path: () => `/api/projects/${P}/members`,
    body: () => ({ userId: member.uid }),
    expect: { anonymous: 401, outsider: 403, member: 403, admin: 200 },
  },
  removeProjectMember: {
    method: 'delete',
    path: () => `/api/projects/${P}/members/${outsider.uid}`,
    expect: { anonymous: 401, outsider: 403, member: 403, admin: 200 },
  },
  listTasks: {
    method: 'get',
    path: () => '/api/tasks',
    query: () => ({ projectId: P }),
    expect: membersOnly(200),
  },
  createTask: {
    method: 'post',
    path: () => '/api/tasks',
    body: () => ({ projectId: P, title: 'New' }),
    expect: membersOnly(201),
  },
  getTask: { method: 'get', path: () => `/api/tasks/${T}`, expect: membersOnly(200) },
  replaceTask: {
    method: 'put',
    path: () => `/api/tasks/${T}`,
    body: () => ({
      title: 'T',
      description: '',
      assigneeId: null,
      status: 'todo',
      priority: 'low',
      dueDate: null,
      recurrence: null,
    }),
    expect: membersOnly(200),
  },
  updateTask: {
    method: 'patch',
    path: () => `/api/tasks/${T}`,
    body: () => ({ priority: 'high' }),
    expect: membersOnly(200),
  },
  completeTask: {
    method: 'patch',
    path: () => `/api/tasks/${T}/complete`,
    expect: membersOnly(200),
  },
  deleteTask: { method: 'delete', path: () => `/api/tasks/${T}`, expect: membersOnly(200) },
  restoreTask: {
    method: 'post',
    path: () => `/api/tasks/${T}/restore`,
    // The fixture task is not deleted: members get past authorisation to the state check (400).
    expect: { anonymous: 401, outsider: 403, member: 400, admin: 400 },
  },
  listNotifications: {
    method: 'get',
    path: () => '/api/notifications',
    expect: everyoneSignedIn(200),
  },
  getUnreadCount: {
    method: 'get',
    path: () => '/api/notifications/unread/count',
    expect: everyoneSignedIn(200),
  },
  markAllNotificationsRead: {
    method: 'put',
    path: () => '/api/notifications/mark-all-read',
    expect: everyoneSignedIn(200),
  },
  getNotification: {
    method: 'get',
    path: () => `/api/notifications/${N}`,
    expect: ownInboxItem(200),
  },
  markNotification: {
    method: 'put',
    path: () => `/api/notifications/${N}`,
    body: () => ({ read: true }),
    expect: ownInboxItem(200),
  },
  // Deletes are idempotent: nothing to delete in one's own inbox is still a success.
  deleteNotification: {
    method: 'delete',
    path: () => `/api/notifications/${N}`,
    expect: everyoneSignedIn(200),
  },
  deleteNotifications: {
    method: 'delete',
    path: () => '/api/notifications',
    body: () => ({ ids: [N] }),
    expect: everyoneSignedIn(200),
  },
  // Analytics: the member's own events and summary; an admin may act for them.
  recordAnalyticsEvent: {
    method: 'post',
    path: () => '/api/analytics/event',
    body: () => ({ userId: member.uid, eventType: 'app_opened' }),
    expect: { anonymous: 401, outsider: 403, member: 201, admin: 201 },
  },
  getUserSummary: {
    method: 'get',
    path: () => '/api/analytics/user-summary',
    query: () => ({ userId: member.uid }),
    expect: { anonymous: 401, outsider: 403, member: 200, admin: 200 },
  },
  sendNotification: {
    method: 'post',
    path: () => '/api/send-notification',
    body: () => ({ token: `tok-${'x'.repeat(40)}`, title: 'Hi', body: 'There' }),
    expect: adminOnly(200),
  },
  sendTopicNotification: {
    method: 'post',
    path: () => '/api/send-topic-notification',
    body: () => ({ topic: 'announcements', title: 'Hi', body: 'There' }),
    expect: adminOnly(200),
  },
  sendBulkNotification: {
    method: 'post',
    path: () => '/api/send-bulk-notification',
    body: () => ({ userIds: [member.uid], title: 'Hi', body: 'There' }),
    expect: adminOnly(200),
  },
  getBroadcastJob: {
    method: 'get',
    path: () => `/api/broadcasts/${BJ}`,
    expect: adminOnly(200),
  },
  notifyTaskAssignment: {
    method: 'post',
    path: () => '/api/notify-task-assignment',
    body: () => ({ assigneeId: member.uid, taskId: T, projectId: P }),
    // The member is the assignee: nobody is notified about their own assignment (422).
    expect: { anonymous: 401, outsider: 403, member: 422, admin: 200 },
  },
  // Scheduled jobs: admins only.
  createScheduledTask: {
    method: 'post',
    path: () => '/api/scheduled-tasks',
    body: () => ({
      taskType: 'custom_notification',
      schedule: '0 9 * * 1-5',
      parameters: { title: 'T', body: 'B', target: { topic: 'matrix' } },
    }),
    expect: adminOnly(201),
  },
  listScheduledTasks: { method: 'get', path: () => '/api/scheduled-tasks', expect: adminOnly(200) },
  getScheduledTask: {
    method: 'get',
    path: () => `/api/scheduled-tasks/${J}`,
    expect: adminOnly(200),
  },
  deleteScheduledTask: {
    method: 'delete',
    path: () => `/api/scheduled-tasks/${J}`,
    expect: adminOnly(200),
  },
  enableScheduledTask: {
    method: 'post',
    path: () => `/api/scheduled-tasks/${J}/enable`,
    expect: adminOnly(200),
  },
  disableScheduledTask: {
    method: 'post',
    path: () => `/api/scheduled-tasks/${J}/disable`,
    expect: adminOnly(200),
  },
  runScheduledTask: {
    method: 'post',
    path: () => `/api/scheduled-tasks/${J}/run`,
    expect: adminOnly(200),
  },
  listScheduledTaskRuns: {
    method: 'get',
    path: () => `/api/scheduled-tasks/${J}/runs`,
    expect: adminOnly(200),
  },
};

beforeAll(async () => {
  [owner, member, outsider, admin] = await Promise.all([
    createTestUser(),
    createTestUser(),
    createTestUser(),
    createTestUser({ admin: true }),
  ]);
  app = createApp(testRuntime(fs.db), operations);
});

/** Fresh fixture per case: W (owner + member), P (owner + member), T in P. */
beforeEach(async () => {
  const now = new Date('2026-11-23T10:00:00Z');
  const ts = (await import('firebase-admin/firestore')).Timestamp.fromDate(now);
  const batch = fs.db.batch();
  for (const u of [owner, member, outsider, admin])
    batch.set(fs.db.doc(`users/${u.uid}`), { email: u.email });
  batch.set(fs.db.doc(`workspaces/${W}`), {
    name: 'W',
    description: '',
    ownerId: owner.uid,
    members: [owner.uid, member.uid],
    roles: { [owner.uid]: 'owner', [member.uid]: 'member' },
    createdAt: ts,
    updatedAt: ts,
  });
  batch.set(fs.db.doc(`projects/${P}`), {
    name: 'P',
    description: '',
    workspaceId: W,
    ownerId: owner.uid,
    members: [owner.uid, member.uid],
    createdAt: ts,
    updatedAt: ts,
  });
  batch.set(fs.db.doc(`tasks/${T}`), {
    title: 'T',
    description: '',
    projectId: P,
    workspaceId: W,
    assigneeId: member.uid,
    createdBy: owner.uid,
    status: 'todo',
    priority: 'medium',
    dueDate: null,
    completedAt: null,
    recurrence: null,
    deletedAt: null,
    createdAt: ts,
    updatedAt: ts,
  });
  batch.set(fs.db.doc(`users/${member.uid}/notifications/${N}`), {
    type: 'task_assigned',
    title: 'T',
    body: 'You were assigned T',
    taskId: T,
    projectId: P,
    read: false,
    groupKey: null,
    createdAt: ts,
    readAt: null,
  });
  batch.set(fs.db.doc(`broadcastJobs/${BJ}`), {
    batchId: 'bulk_matrix',
    batchKey: 'matrix-key',
    audience: 'allUsers',
    userIds: null,
    content: { title: 'T', body: 'B', data: {}, channels: null },
    createdBy: admin.uid,
    shardSize: 500,
    estimatedTotal: 4,
    sent: 4,
    skipped: 0,
    failed: 0,
    shardsDone: 1,
    shardsTotal: 1,
    createdAt: ts,
  });
  batch.set(fs.db.doc(`scheduledJobs/${J}`), {
    taskType: 'custom_notification',
    schedule: '0 9 * * 1-5',
    timezone: 'UTC',
    parameters: { title: 'T', body: 'B', target: { topic: 'matrix' } },
    description: '',
    enabled: true,
    nextRunAt: ts,
    lastRunAt: null,
    lastStatus: null,
    lastSuccessAt: null,
    lastError: null,
    inFlight: null,
    pendingRetry: null,
    missedRuns: 0,
    createdBy: admin.uid,
    createdAt: ts,
    updatedAt: ts,
  });
  await batch.commit();
});
afterEach(() => fs.clear());
afterAll(() => fs.dispose());

describe('authorization matrix', () => {
  it('covers every registered operation', () => {
    expect(Object.keys(matrix).sort()).toEqual(operations.map((o) => o.name).sort());
  });

  const cases = Object.entries(matrix).flatMap(([name, row]) =>
    (['anonymous', 'outsider', 'member', 'admin'] as Role[]).map(
      (role) => [name, role, row] as const,
    ),
  );
  it.each(cases)('%s as %s', async (_name, role, row) => {
    const user = { anonymous: undefined, outsider, member, admin }[role];
    let req = request(app)[row.method](row.path());
    if (row.query) req = req.query(row.query());
    if (user) req = req.set('Authorization', user.bearer);
    const res = await req.send(row.body?.() ?? {});
    expect({ status: res.status, code: res.body.code as unknown }).toMatchObject({
      status: row.expect[role],
    });
  });
});
