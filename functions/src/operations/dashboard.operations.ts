import { defineOperation, requireCaller } from '../core/operation';
import {
  DEFAULT_DASHBOARD_PROJECTS,
  MAX_DASHBOARD_PROJECTS,
  dashboardInputSchema,
  dashboardStatsSchema,
} from '../domain/analytics/dashboard.schema';
import { getDashboardStats } from '../domain/analytics/dashboard.service';

export const getDashboardStatsOp = defineOperation({
  name: 'getDashboardStats',
  summary: 'Task statistics for the dashboard: totals, by priority, by project',
  description:
    'Default scope: the tasks assigned to you. With `projectId` or `workspaceId` (not both): every ' +
    'task of that project or workspace, for its members. Soft-deleted tasks are not counted; ' +
    'overdue = not done and due before `generatedAt`. Counted with aggregation queries (6 for the ' +
    `scope + 3 per listed project; \`projectLimit\` default ${DEFAULT_DASHBOARD_PROJECTS}, ` +
    `at most ${MAX_DASHBOARD_PROJECTS}).`,
  access: 'user',
  http: { method: 'get', path: '/dashboard/stats', tags: ['analytics'] },
  input: dashboardInputSchema,
  output: dashboardStatsSchema,
  handler: (input, ctx) =>
    getDashboardStats(ctx.deps.db, ctx.deps.clock, requireCaller(ctx), input),
});
