import { z } from 'zod';
import { defineOperation, requireCaller } from '../core/operation';
import { detachFromProject } from '../domain/projects/project.service';
import { docId, uid } from '../domain/shared.schema';
import {
  workspaceDescriptionSchema,
  workspaceNameSchema,
  workspaceRoleSchema,
  workspaceSchema,
} from '../domain/workspaces/workspace.schema';
import {
  addWorkspaceMember,
  changeWorkspaceRole,
  createWorkspace,
  getWorkspace,
  listMyWorkspaces,
  removeWorkspaceMember,
} from '../domain/workspaces/workspace.service';
import { limitField, success } from './fields';

const workspaceId = docId.meta({ description: 'Workspace id' });
const tags = ['workspaces'];

export const createWorkspaceOp = defineOperation({
  name: 'createWorkspace',
  summary: 'Create a workspace; the caller becomes its owner',
  description: 'Pass your own `id` to make retries safe: a retry returns the same workspace.',
  access: 'user',
  http: { method: 'post', path: '/workspaces', successStatus: 201, tags },
  input: z.strictObject({
    id: docId.optional(),
    name: workspaceNameSchema,
    description: workspaceDescriptionSchema.default(''),
  }),
  output: workspaceSchema,
  handler: (input, ctx) => createWorkspace(ctx.deps.db, ctx.deps.clock, requireCaller(ctx), input),
});

export const listWorkspacesOp = defineOperation({
  name: 'listWorkspaces',
  summary: "The caller's workspaces, newest first",
  access: 'user',
  http: { method: 'get', path: '/workspaces', tags },
  input: z.strictObject({ limit: limitField }),
  output: z.object({ workspaces: z.array(workspaceSchema) }),
  handler: async ({ limit }, ctx) => ({
    workspaces: await listMyWorkspaces(ctx.deps.db, requireCaller(ctx).uid, limit),
  }),
});

export const getWorkspaceOp = defineOperation({
  name: 'getWorkspace',
  summary: 'Get a workspace (members only)',
  access: 'user',
  http: { method: 'get', path: '/workspaces/:workspaceId', tags },
  input: z.strictObject({ workspaceId }),
  output: workspaceSchema,
  handler: ({ workspaceId }, ctx) => getWorkspace(ctx.deps.db, workspaceId, requireCaller(ctx)),
});

export const addWorkspaceMemberOp = defineOperation({
  name: 'addWorkspaceMember',
  summary: 'Add a user by uid without an invitation (platform admins only)',
  description:
    'For support and migrations. Members invite people by email instead ' +
    '(`inviteToWorkspace`): nobody joins a workspace without accepting.',
  access: 'admin',
  http: { method: 'post', path: '/workspaces/:workspaceId/members', tags },
  input: z.strictObject({ workspaceId, userId: uid, role: workspaceRoleSchema.default('member') }),
  output: workspaceSchema,
  handler: ({ workspaceId, userId, role }, ctx) =>
    addWorkspaceMember(ctx.deps.db, ctx.deps.clock, requireCaller(ctx), workspaceId, userId, role),
});

export const changeWorkspaceMemberRoleOp = defineOperation({
  name: 'changeWorkspaceMemberRole',
  summary: "Change a member's role (the last owner cannot be demoted)",
  access: 'user',
  http: { method: 'put', path: '/workspaces/:workspaceId/members/:userId', tags },
  input: z.strictObject({ workspaceId, userId: uid, role: workspaceRoleSchema }),
  output: workspaceSchema,
  handler: ({ workspaceId, userId, role }, ctx) =>
    changeWorkspaceRole(ctx.deps.db, ctx.deps.clock, requireCaller(ctx), workspaceId, userId, role),
});

export const removeWorkspaceMemberOp = defineOperation({
  name: 'removeWorkspaceMember',
  summary: 'Remove a member, or leave (the last owner cannot leave)',
  description:
    "The member is also removed from the workspace's projects and their tasks there are unassigned.",
  access: 'user',
  http: { method: 'delete', path: '/workspaces/:workspaceId/members/:userId', tags },
  input: z.strictObject({ workspaceId, userId: uid }),
  output: z.object({ success, removed: z.boolean() }),
  async handler({ workspaceId, userId }, ctx) {
    const { db, clock } = ctx.deps;
    const { removed } = await removeWorkspaceMember(
      db,
      clock,
      requireCaller(ctx),
      workspaceId,
      userId,
      async (projectIds) => {
        for (const projectId of projectIds) await detachFromProject(db, clock, projectId, userId);
      },
    );
    ctx.logger.info('Workspace member removed', { workspaceId, memberId: userId, removed });
    return { success: true as const, removed };
  },
});
