import { callableFor } from '../callable/callable';

const workspaces = () => import('../operations/workspaces.operations');
const projects = () => import('../operations/projects.operations');
const invitations = () => import('../operations/invitations.operations');

/**
 * Membership changes the Flutter client cannot make through the Firestore SDK (the rules forbid
 * writing `members`/`roles`): the same operations as the REST routes under /api/workspaces and
 * /api/projects.
 */
export const createWorkspace = callableFor(() => workspaces().then((m) => m.createWorkspaceOp));
/** Platform admins only: members invite by email ({@link inviteToWorkspace}). */
export const addWorkspaceMember = callableFor(() =>
  workspaces().then((m) => m.addWorkspaceMemberOp),
);
export const changeWorkspaceMemberRole = callableFor(() =>
  workspaces().then((m) => m.changeWorkspaceMemberRoleOp),
);
export const removeWorkspaceMember = callableFor(() =>
  workspaces().then((m) => m.removeWorkspaceMemberOp),
);
export const inviteToWorkspace = callableFor(() =>
  invitations().then((m) => m.inviteToWorkspaceOp),
);
export const listWorkspaceInvitations = callableFor(() =>
  invitations().then((m) => m.listWorkspaceInvitationsOp),
);
export const listMyInvitations = callableFor(() =>
  invitations().then((m) => m.listMyInvitationsOp),
);
export const acceptInvitation = callableFor(() => invitations().then((m) => m.acceptInvitationOp));
export const declineInvitation = callableFor(() =>
  invitations().then((m) => m.declineInvitationOp),
);
export const revokeInvitation = callableFor(() => invitations().then((m) => m.revokeInvitationOp));
export const createProject = callableFor(() => projects().then((m) => m.createProjectOp));
export const addProjectMember = callableFor(() => projects().then((m) => m.addProjectMemberOp));
export const removeProjectMember = callableFor(() =>
  projects().then((m) => m.removeProjectMemberOp),
);
