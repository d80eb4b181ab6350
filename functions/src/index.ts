/**
 * The deployed functions, and nothing else. Each export is a thin adapter in src/functions/;
 * the work happens in src/domain/ (see README "Architecture").
 */
export { api } from './functions/api.function';
export {
  getPreferences,
  registerDevice,
  unregisterDevice,
  updatePreferences,
} from './functions/users.callables';
export {
  addProjectMember,
  addWorkspaceMember,
  changeWorkspaceMemberRole,
  createProject,
  createWorkspace,
  removeProjectMember,
  removeWorkspaceMember,
} from './functions/workspaces.callables';
export {
  deleteNotification,
  deleteNotifications,
  getNotification,
  getUnreadCount,
  listNotifications,
  markAllNotificationsRead,
  markNotification,
} from './functions/notifications.callables';
export { onUserCreated, onUserDeleted } from './functions/auth.triggers';
