import { callableFor } from '../callable/callable';

const notifications = () => import('../operations/notifications.operations');

/**
 * The in-app inbox for the Flutter app: the same operations as the REST routes under
 * /api/notifications, on the caller's own inbox. (The app may also read the inbox and flip `read`
 * through the SDK; these add the counts, mark-all-read, readAt and deletes the rules do not allow.)
 */
export const listNotifications = callableFor(() =>
  notifications().then((m) => m.listNotificationsOp),
);
export const getUnreadCount = callableFor(() => notifications().then((m) => m.getUnreadCountOp));
export const getNotification = callableFor(() => notifications().then((m) => m.getNotificationOp));
export const markNotification = callableFor(() =>
  notifications().then((m) => m.markNotificationOp),
);
export const markAllNotificationsRead = callableFor(() =>
  notifications().then((m) => m.markAllNotificationsReadOp),
);
export const deleteNotification = callableFor(() =>
  notifications().then((m) => m.deleteNotificationOp),
);
export const deleteNotifications = callableFor(() =>
  notifications().then((m) => m.deleteNotificationsOp),
);
