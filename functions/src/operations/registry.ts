import type { Operation } from '../core/operation';
import * as projects from './projects.operations';
import * as tasks from './tasks.operations';
import * as users from './users.operations';
import * as workspaces from './workspaces.operations';

/** Every operation with a REST route (and an OpenAPI entry). */
export const operations: readonly Operation[] = [
  users.getPreferencesOp,
  users.updatePreferencesOp,
  users.registerDeviceOp,
  users.unregisterDeviceOp,
  workspaces.createWorkspaceOp,
  workspaces.listWorkspacesOp,
  workspaces.getWorkspaceOp,
  workspaces.addWorkspaceMemberOp,
  workspaces.changeWorkspaceMemberRoleOp,
  workspaces.removeWorkspaceMemberOp,
  projects.createProjectOp,
  projects.listProjectsOp,
  projects.getProjectOp,
  projects.addProjectMemberOp,
  projects.removeProjectMemberOp,
  tasks.listTasksOp,
  tasks.createTaskOp,
  tasks.getTaskOp,
  tasks.replaceTaskOp,
  tasks.updateTaskOp,
  tasks.completeTaskOp,
  tasks.deleteTaskOp,
  tasks.restoreTaskOp,
];
