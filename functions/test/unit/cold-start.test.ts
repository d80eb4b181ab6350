/**
 * The deployed manifest. What it loads at cold start is checked on the built code in a fresh
 * process by scripts/check-cold-start.cjs (`npm run test:cold-start`): jest's module registry
 * does not show what a real `require` loads.
 */
describe('src/index (the deployed manifest)', () => {
  it('exports exactly the deployed functions', () => {
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const index = require('../../src/index') as Record<string, unknown>;
      expect(Object.keys(index).sort()).toEqual([
        'acceptInvitation',
        'addProjectMember',
        'addWorkspaceMember',
        'api',
        'changeWorkspaceMemberRole',
        'checkOverdueTasks',
        'createProject',
        'createWorkspace',
        'dailyCleanup',
        'declineInvitation',
        'deleteNotification',
        'deleteNotifications',
        'dispatchScheduledJobs',
        'exportUserData',
        'getDashboardStats',
        'getNotification',
        'getPreferences',
        'getUnreadCount',
        'getUserSummary',
        'inviteToWorkspace',
        'listMyInvitations',
        'listNotifications',
        'listWorkspaceInvitations',
        'markAllNotificationsRead',
        'markNotification',
        'notifyTaskAssignment',
        'onTaskWritten',
        'onUserCreated',
        'onUserDeleted',
        'onUserProfileWritten',
        'quarterHourlyDigests',
        'recordAnalyticsEvent',
        'registerDevice',
        'releaseDeliveries',
        'removeProjectMember',
        'removeWorkspaceMember',
        'revokeInvitation',
        'searchTasks',
        'sendBulkNotification',
        'sendDigest',
        'sendDueReminders',
        'sendNotification',
        'sendTopicNotification',
        'spawnRecurringTasks',
        'unregisterDevice',
        'updatePreferences',
      ]);
    });
  });
});
