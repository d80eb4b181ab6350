import type { Operation } from '../core/operation';
import * as analytics from './analytics.operations';
import * as invitations from './invitations.operations';
import * as dashboard from './dashboard.operations';
import * as dataExport from './export.operations';
import * as messaging from './messaging.operations';
import * as notifications from './notifications.operations';
import * as projects from './projects.operations';
import * as scheduledJobs from './scheduled-jobs.operations';
import * as tasks from './tasks.operations';
import * as users from './users.operations';
import * as workspaces from './workspaces.operations';

/**
 * Every operation with a REST route (and an OpenAPI entry). Express tries routes in this order:
 * a static path goes before a parameterised one of the same method that would also match it
 * (`/notifications/mark-all-read` before `/notifications/:notificationId`); a unit test checks it.
 */
export const operations: readonly Operation[] = [
  users.getPreferencesOp,
  users.updatePreferencesOp,
  users.registerDeviceOp,
  users.unregisterDeviceOp,
  dataExport.exportUserDataOp,
  workspaces.createWorkspaceOp,
  workspaces.listWorkspacesOp,
  workspaces.getWorkspaceOp,
  workspaces.addWorkspaceMemberOp,
  workspaces.changeWorkspaceMemberRoleOp,
  workspaces.removeWorkspaceMemberOp,
  invitations.inviteToWorkspaceOp,
  invitations.listWorkspaceInvitationsOp,
  invitations.listMyInvitationsOp,
  invitations.acceptInvitationOp,
  invitations.declineInvitationOp,
  invitations.revokeInvitationOp,
  projects.createProjectOp,
  projects.listProjectsOp,
  projects.getProjectOp,
  projects.addProjectMemberOp,
  projects.removeProjectMemberOp,
  tasks.listTasksOp,
  tasks.searchTasksOp,
  tasks.createTaskOp,
  tasks.getTaskOp,
  tasks.replaceTaskOp,
  tasks.updateTaskOp,
  tasks.completeTaskOp,
  tasks.deleteTaskOp,
  tasks.restoreTaskOp,
  notifications.listNotificationsOp,
  notifications.getUnreadCountOp,
  notifications.markAllNotificationsReadOp,
  notifications.getNotificationOp,
  notifications.markNotificationOp,
  notifications.deleteNotificationOp,
  notifications.deleteNotificationsOp,
  analytics.recordAnalyticsEventOp,
  analytics.getUserSummaryOp,
  dashboard.getDashboardStatsOp,
  messaging.sendNotificationOp,
  messaging.sendTopicNotificationOp,
  messaging.sendBulkNotificationOp,
  messaging.getBroadcastJobOp,
  messaging.notifyTaskAssignmentOp,
  scheduledJobs.createScheduledJobOp,
  scheduledJobs.listScheduledJobsOp,
  scheduledJobs.getScheduledJobOp,
  scheduledJobs.deleteScheduledJobOp,
  scheduledJobs.enableScheduledJobOp,
  scheduledJobs.disableScheduledJobOp,
  scheduledJobs.runScheduledJobOp,
  scheduledJobs.listScheduledJobRunsOp,
];
