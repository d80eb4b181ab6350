import { z } from 'zod';
import { defineOperation, requireCaller } from '../core/operation';
import { invitationSchema } from '../domain/invitations/invitation.schema';
import {
  acceptInvitation,
  declineInvitation,
  inviteToWorkspace,
  listMyInvitations,
  listWorkspaceInvitations,
  revokeInvitation,
} from '../domain/invitations/invitation.service';
import { docId } from '../domain/shared.schema';
import { workspaceRoleSchema, workspaceSchema } from '../domain/workspaces/workspace.schema';
import { limitField } from './fields';

const tags = ['invitations'];
const workspaceId = docId.meta({ description: 'Workspace id' });
const invitationId = docId.meta({ description: 'Invitation id' });

export const inviteToWorkspaceOp = defineOperation({
  sendsNotifications: true,
  name: 'inviteToWorkspace',
  summary: 'Invite an email address to a workspace (members; only owners grant owner/admin)',
  description:
    'The invitee gets an inbox item if an account has this address, and an email at the ' +
    'address either way. Inviting the same address again while the invitation is pending ' +
    'returns it. Membership begins when the invitee accepts.',
  access: 'user',
  http: { method: 'post', path: '/workspaces/:workspaceId/invitations', successStatus: 201, tags },
  input: z.strictObject({
    workspaceId,
    email: z.email().max(320),
    role: workspaceRoleSchema.default('member'),
  }),
  output: invitationSchema,
  handler: (input, ctx) => inviteToWorkspace(ctx.deps, ctx.logger, requireCaller(ctx), input),
});

export const listWorkspaceInvitationsOp = defineOperation({
  name: 'listWorkspaceInvitations',
  summary: "A workspace's open invitations, newest first (members)",
  description: 'Pending invitations; those past their expiry show as `expired`.',
  access: 'user',
  http: { method: 'get', path: '/workspaces/:workspaceId/invitations', tags },
  input: z.strictObject({ workspaceId, limit: limitField }),
  output: z.object({ invitations: z.array(invitationSchema) }),
  handler: async ({ workspaceId, limit }, ctx) => ({
    invitations: await listWorkspaceInvitations(ctx.deps, requireCaller(ctx), workspaceId, limit),
  }),
});

export const listMyInvitationsOp = defineOperation({
  name: 'listMyInvitations',
  summary: 'The invitations the caller can accept (by their verified email address)',
  access: 'user',
  http: { method: 'get', path: '/invitations', tags },
  input: z.strictObject({ limit: limitField }),
  output: z.object({ invitations: z.array(invitationSchema) }),
  handler: async ({ limit }, ctx) => ({
    invitations: await listMyInvitations(ctx.deps, requireCaller(ctx), limit),
  }),
});

export const acceptInvitationOp = defineOperation({
  name: 'acceptInvitation',
  summary: 'Accept an invitation: join the workspace with the invited role',
  description:
    "The caller's token must carry the invited address with `email_verified`. Accepting again " +
    'returns the same answer.',
  access: 'user',
  http: { method: 'post', path: '/invitations/:invitationId/accept', tags },
  input: z.strictObject({ invitationId }),
  output: z.object({ invitation: invitationSchema, workspace: workspaceSchema }),
  async handler({ invitationId }, ctx) {
    const { invitation, workspace } = await acceptInvitation(
      ctx.deps,
      requireCaller(ctx),
      invitationId,
    );
    if (workspace === null) throw new Error('accepting returns the workspace');
    return { invitation, workspace };
  },
});

export const declineInvitationOp = defineOperation({
  name: 'declineInvitation',
  summary: 'Decline an invitation (by the invited, verified address)',
  access: 'user',
  http: { method: 'post', path: '/invitations/:invitationId/decline', tags },
  input: z.strictObject({ invitationId }),
  output: invitationSchema,
  handler: ({ invitationId }, ctx) => declineInvitation(ctx.deps, requireCaller(ctx), invitationId),
});

export const revokeInvitationOp = defineOperation({
  name: 'revokeInvitation',
  summary: 'Revoke a pending invitation (its inviter, workspace owners and admins)',
  access: 'user',
  http: { method: 'post', path: '/invitations/:invitationId/revoke', tags },
  input: z.strictObject({ invitationId }),
  output: invitationSchema,
  handler: ({ invitationId }, ctx) => revokeInvitation(ctx.deps, requireCaller(ctx), invitationId),
});
