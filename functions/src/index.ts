/**
 * The deployed functions, and nothing else. Each export is a thin adapter in src/functions/;
 * the work happens in src/domain/ (see docs/architecture.md).
 */
export { api } from './functions/api.function';
// One callable per operation of the registry, under the operation's name (generated).
export * from './functions/operations.callables';
export { releaseDeliveries } from './functions/notifications.schedules';
export { checkOverdueTasks, sendDueReminders } from './functions/reminders.schedules';
export {
  dailyCleanup,
  dispatchScheduledJobs,
  spawnRecurringTasks,
} from './functions/scheduling.schedules';
export { quarterHourlyDigests, sendDigest } from './functions/digests.functions';
export { sendBroadcastShard } from './functions/broadcast.functions';
export { onUserCreated, onUserDeleted } from './functions/auth.triggers';

// Firestore triggers are exported lazily: `firebase-functions/firestore` loads firebase-admin at
// module load (~80 ms), which every other function would pay on its cold start. Deploy-time
// discovery reads every export; at run time an instance touches only its own (FUNCTION_TARGET).
Object.defineProperty(exports, 'onTaskWritten', {
  enumerable: true,
  get: () =>
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- deliberately lazy
    (require('./functions/task.triggers') as typeof import('./functions/task.triggers'))
      .onTaskWritten,
});
Object.defineProperty(exports, 'onUserProfileWritten', {
  enumerable: true,
  get: () =>
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- deliberately lazy
    (require('./functions/digests.triggers') as typeof import('./functions/digests.triggers'))
      .onUserProfileWritten,
});
