/**
 * Cold start: loading the deployed entry point must not load the heavy modules (Express, zod,
 * firebase-admin, the OpenAPI generator) nor initialise an app; each function loads what it needs
 * on its first invocation.
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

  it('does not load express, zod, firebase-admin or the OpenAPI generator at module load', () => {
    const before = new Set(Object.keys(require.cache));
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require('../../src/index');
    });
    const loaded = Object.keys(require.cache).filter((k) => !before.has(k));
    const heavy = loaded.filter((k) =>
      /node_modules\/(express|zod|firebase-admin|@google-cloud\/firestore|@asteasolutions)\//.test(
        k,
      ),
    );
    expect(heavy).toEqual([]);
  });
});
