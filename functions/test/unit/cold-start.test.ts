import { operations } from '../../src/operations/registry';

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
      // The triggers, schedules and the REST function, and one callable per operation.
      const functions = [
        'api',
        'checkOverdueTasks',
        'dailyCleanup',
        'dispatchScheduledJobs',
        'onTaskWritten',
        'onUserCreated',
        'onUserDeleted',
        'onUserProfileWritten',
        'quarterHourlyDigests',
        'releaseDeliveries',
        'sendBroadcastShard',
        'sendDigest',
        'sendDueReminders',
        'spawnRecurringTasks',
      ];
      expect(Object.keys(index).sort()).toEqual(
        [...functions, ...operations.map((op) => op.name)].sort(),
      );
    });
  });
});
