import { callableFor } from '../callable/callable';

const workspaces = () => import('../operations/workspaces.operations');
const projects = () => import('../operations/projects.operations');

/**
 * Membership changes the Flutter client cannot make through the Firestore SDK (the rules forbid
 * writing `members`/`roles`): the same operations as the REST routes under /api/workspaces and
 * /api/projects.
 */
export const createWorkspace = callableFor(() => workspaces().then((m) => m.createWorkspaceOp));
export const addWorkspaceMember = callableFor(() =>
  workspaces().then((m) => m.addWorkspaceMemberOp),
);
export const changeWorkspaceMemberRole = callableFor(() =>
  workspaces().then((m) => m.changeWorkspaceMemberRoleOp),
);
export const removeWorkspaceMember = callableFor(() =>
  workspaces().then((m) => m.removeWorkspaceMemberOp),
);
export const createProject = callableFor(() => projects().then((m) => m.createProjectOp));
export const addProjectMember = callableFor(() => projects().then((m) => m.addProjectMemberOp));
export const removeProjectMember = callableFor(() =>
  projects().then((m) => m.removeProjectMemberOp),
);
