import { z } from 'zod';
import { isoInstant } from '../shared.schema';
import { workspaceRoleSchema } from '../workspaces/workspace.schema';
import { notificationPreferencesSchema } from './preferences.schema';

/** Names the format of the document, so a later change of shape can be told apart. */
export const USER_EXPORT_FORMAT = 'taskflow.user-export/1';

/**
 * A stored document's fields as JSON: Timestamps become ISO-8601 strings, references their path,
 * bytes base64, geo points `{latitude, longitude}`.
 */
export const storedDataSchema = z
  .record(z.string(), z.unknown())
  .meta({ description: 'The stored fields, timestamps as ISO-8601 strings' });

/** One stored document: its id and its fields as stored (not the API's projection of them). */
export const storedDocSchema = z
  .object({ id: z.string(), data: storedDataSchema })
  .meta({ id: 'ExportedDocument' });
export type StoredDoc = z.infer<typeof storedDocSchema>;

export const exportedTaskSchema = z
  .object({
    id: z.string(),
    relation: z
      .array(z.enum(['creator', 'assignee']))
      .min(1)
      .meta({ description: 'Why the task is in the export: the user created it, is assigned it' }),
    scope: z.enum(['full', 'authorship']).meta({
      description:
        '`full`: the task as stored (the user can still see it: a member of its project, or its ' +
        'assignee). `authorship`: a task the user created in a project they have left — only ' +
        'that they created it (projectId, createdBy, createdAt); its content is the project’s',
    }),
    data: storedDataSchema,
  })
  .meta({ id: 'ExportedTask' });
export type ExportedTask = z.infer<typeof exportedTaskSchema>;

/** A workspace the user belongs to: its identity and the user's own role, no member list. */
export const exportedWorkspaceSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    role: workspaceRoleSchema,
    createdAt: isoInstant.nullable(),
  })
  .meta({ id: 'ExportedWorkspace' });
export type ExportedWorkspace = z.infer<typeof exportedWorkspaceSchema>;

/** A project the user belongs to, without its member list. */
export const exportedProjectSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    workspaceId: z.string(),
    owner: z.boolean().meta({ description: 'The user owns the project' }),
    createdAt: isoInstant.nullable(),
  })
  .meta({ id: 'ExportedProject' });
export type ExportedProject = z.infer<typeof exportedProjectSchema>;

const count = z.number().int().min(0);

export const exportCountsSchema = z.object({
  devices: count,
  notifications: count,
  activity: count,
  statisticsDays: count,
  tasks: count,
  workspaces: count,
  projects: count,
  deliveries: count,
});
export type ExportCounts = z.infer<typeof exportCountsSchema>;

/**
 * Everything stored about one user (GDPR access and portability), in this member order. Over REST
 * it is streamed in that order, so `counts` — written last — is there only if the download is
 * complete.
 */
export const userExportSchema = z
  .object({
    format: z.literal(USER_EXPORT_FORMAT),
    userId: z.string(),
    generatedAt: isoInstant,
    profile: storedDataSchema.nullable().meta({
      description: '`users/{uid}` (with the email unsubscribes it records); null if none',
    }),
    preferences: notificationPreferencesSchema.meta({
      description: 'The notification preferences in effect (stored ones over the defaults)',
    }),
    devices: z.array(storedDocSchema).meta({
      description:
        '`users/{uid}/devices`; the FCM token is replaced by its last 6 characters (`tokenLast6`)',
    }),
    notifications: z.array(storedDocSchema).meta({ description: 'The inbox' }),
    activity: z.array(storedDocSchema).meta({ description: '`activity` where userId is the user' }),
    statistics: storedDataSchema
      .nullable()
      .meta({ description: '`userStats/{uid}`; null if none' }),
    statisticsDays: z.array(storedDocSchema).meta({ description: '`userStats/{uid}/days`' }),
    tasks: z.array(exportedTaskSchema).meta({
      description: 'Tasks the user created or is assigned (soft-deleted ones included), once each',
    }),
    workspaces: z.array(exportedWorkspaceSchema),
    projects: z.array(exportedProjectSchema),
    deliveries: z.array(storedDocSchema).meta({
      description: 'Push and email delivery records addressed to the user (`deliveries`)',
    }),
    emailSuppression: storedDocSchema.nullable().meta({
      description: "`emailSuppressions/{sha256(email)}` for the profile's email; null if none",
    }),
    counts: exportCountsSchema,
  })
  .meta({ id: 'UserExport' });
export type UserExport = z.infer<typeof userExportSchema>;
