import { callableFor } from '../callable/callable';
import { NOTIFY_SECRETS } from '../config/params';

const messaging = () => import('../operations/messaging.operations');
const secrets = NOTIFY_SECRETS;

/** Seed 000's notification sends for the Flutter app and admin tools; same operations as REST. */
export const sendNotification = callableFor(() => messaging().then((m) => m.sendNotificationOp), {
  secrets,
});
export const sendTopicNotification = callableFor(
  () => messaging().then((m) => m.sendTopicNotificationOp),
  { secrets },
);
export const sendBulkNotification = callableFor(
  () => messaging().then((m) => m.sendBulkNotificationOp),
  { secrets },
);
export const notifyTaskAssignment = callableFor(
  () => messaging().then((m) => m.notifyTaskAssignmentOp),
  { secrets },
);
