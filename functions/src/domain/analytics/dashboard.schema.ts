import { z } from 'zod';
import { docId, isoInstant } from '../shared.schema';

/** Projects listed in `byProject` by default, and at most (each costs 3 aggregation queries). */
export const DEFAULT_DASHBOARD_PROJECTS = 20;
export const MAX_DASHBOARD_PROJECTS = 50;

const count = z.number().int().min(0);

/** The four task figures of a dashboard, for its scope or for one project. */
export const taskFiguresSchema = z
  .object({
    total: count.meta({ description: 'Tasks not soft-deleted' }),
    completed: count.meta({ description: 'Of those, status done' }),
    pending: count.meta({
      description: 'Of those, status todo or in_progress (total − completed)',
    }),
    overdue: count.meta({
      description: 'Of the pending ones, those with a dueDate before generatedAt',
    }),
  })
  .meta({ id: 'TaskFigures' });
export type TaskFigures = z.infer<typeof taskFiguresSchema>;

export const dashboardScopeSchema = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('me'), userId: z.string() }),
    z.object({ type: z.literal('project'), projectId: z.string(), name: z.string() }),
    z.object({ type: z.literal('workspace'), workspaceId: z.string(), name: z.string() }),
  ])
  .meta({
    id: 'DashboardScope',
    description:
      'me: tasks assigned to the caller; project: every task of the project; workspace: every ' +
      'task of the workspace',
  });
export type DashboardScope = z.infer<typeof dashboardScopeSchema>;

export const projectFiguresSchema = taskFiguresSchema
  .extend({ projectId: z.string(), name: z.string() })
  .meta({ id: 'ProjectTaskFigures' });
export type ProjectFigures = z.infer<typeof projectFiguresSchema>;

export const dashboardStatsSchema = z
  .object({
    scope: dashboardScopeSchema,
    totals: taskFiguresSchema,
    byPriority: z
      .object({ low: count, medium: count, high: count })
      .meta({ description: 'Tasks of the scope (not soft-deleted) per priority; sums to total' }),
    byProject: z.array(projectFiguresSchema).meta({
      description:
        'Per project, sorted by name. Scope me: the projects the caller belongs to, with the ' +
        "caller's tasks in each; project: that project; workspace: the workspace's projects the " +
        'caller may see (all of them for workspace owners/admins), with all their tasks.',
    }),
    byProjectTruncated: z
      .boolean()
      .meta({ description: 'More projects exist than `projectLimit`; the rest are left out' }),
    generatedAt: isoInstant.meta({
      description: 'Server time the figures were computed at: the instant "overdue" refers to',
    }),
  })
  .meta({ id: 'DashboardStats' });
export type DashboardStats = z.infer<typeof dashboardStatsSchema>;

export const dashboardInputSchema = z
  .strictObject({
    projectId: docId.optional().meta({ description: 'Figures for this project (members only)' }),
    workspaceId: docId
      .optional()
      .meta({ description: 'Figures for this workspace (members only)' }),
    projectLimit: z.coerce
      .number()
      .int()
      .min(0)
      .max(MAX_DASHBOARD_PROJECTS)
      .default(DEFAULT_DASHBOARD_PROJECTS)
      .meta({ description: 'Projects listed in byProject (0 leaves it empty)' }),
  })
  .refine((i) => i.projectId === undefined || i.workspaceId === undefined, {
    message: 'give projectId or workspaceId, not both',
    path: ['workspaceId'],
  });
export type DashboardInput = z.output<typeof dashboardInputSchema>;
