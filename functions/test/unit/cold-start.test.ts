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
        'addProjectMember',
        'addWorkspaceMember',
        'api',
        'changeWorkspaceMemberRole',
        'createProject',
        'createWorkspace',
        'deleteNotification',
        'deleteNotifications',
        'getNotification',
        'getPreferences',
        'getUnreadCount',
        'listNotifications',
        'markAllNotificationsRead',
        'markNotification',
        'onTaskWritten',
        'onUserCreated',
        'onUserDeleted',
        'registerDevice',
        'removeProjectMember',
        'removeWorkspaceMember',
        'unregisterDevice',
        'updatePreferences',
      ]);
    });
  });
});
