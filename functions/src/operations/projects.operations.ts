import { z } from 'zod';
import { defineOperation, requireCaller } from '../core/operation';
import {
  projectDescriptionSchema,
  projectNameSchema,
  projectSchema,
} from '../domain/projects/project.schema';
import {
  addProjectMember,
  createProject,
  getProject,
  listMyProjects,
  removeProjectMember,
} from '../domain/projects/project.service';
import { docId, uid } from '../domain/shared.schema';
import { limitField, success } from './fields';

const projectId = docId.meta({ description: 'Project id' });
const tags = ['projects'];

export const createProjectOp = defineOperation({
  name: 'createProject',
  summary: 'Create a project in a workspace the caller belongs to; the caller owns it',
  description:
    '`members` must already be workspace members. Pass your own `id` to make retries safe.',
  access: 'user',
  http: { method: 'post', path: '/projects', successStatus: 201, tags },
  input: z.strictObject({
    id: docId.optional(),
    workspaceId: docId,
    name: projectNameSchema,
    description: projectDescriptionSchema.default(''),
    members: z.array(uid).max(100).default([]),
  }),
  output: projectSchema,
  handler: (input, ctx) => createProject(ctx.deps.db, ctx.deps.clock, requireCaller(ctx), input),
});

export const listProjectsOp = defineOperation({
  name: 'listProjects',
  summary: "The caller's projects (optionally of one workspace), newest first",
  access: 'user',
  http: { method: 'get', path: '/projects', tags },
  input: z.strictObject({ workspaceId: docId.optional(), limit: limitField }),
  output: z.object({ projects: z.array(projectSchema) }),
  handler: async ({ workspaceId, limit }, ctx) => ({
    projects: await listMyProjects(ctx.deps.db, requireCaller(ctx).uid, workspaceId, limit),
  }),
});

export const getProjectOp = defineOperation({
  name: 'getProject',
  summary: 'Get a project (members only)',
  access: 'user',
  http: { method: 'get', path: '/projects/:projectId', tags },
  input: z.strictObject({ projectId }),
  output: projectSchema,
  handler: ({ projectId }, ctx) => getProject(ctx.deps.db, projectId, requireCaller(ctx)),
});

export const addProjectMemberOp = defineOperation({
  name: 'addProjectMember',
  summary: 'Add a workspace member to a project (project owner, workspace owners/admins)',
  access: 'user',
  http: { method: 'post', path: '/projects/:projectId/members', tags },
  input: z.strictObject({ projectId, userId: uid }),
  output: projectSchema,
  handler: ({ projectId, userId }, ctx) =>
    addProjectMember(ctx.deps.db, ctx.deps.clock, requireCaller(ctx), projectId, userId),
});

export const removeProjectMemberOp = defineOperation({
  name: 'removeProjectMember',
  summary: 'Remove a member from a project, or leave it; their tasks there are unassigned',
  access: 'user',
  http: { method: 'delete', path: '/projects/:projectId/members/:userId', tags },
  input: z.strictObject({ projectId, userId: uid }),
  output: z.object({ success, removed: z.boolean(), tasksUnassigned: z.number().int() }),
  async handler({ projectId, userId }, ctx) {
    const result = await removeProjectMember(
      ctx.deps.db,
      ctx.deps.clock,
      requireCaller(ctx),
      projectId,
      userId,
    );
    ctx.logger.info('Project member removed', { projectId, memberId: userId, ...result });
    return { success: true as const, ...result };
  },
});
