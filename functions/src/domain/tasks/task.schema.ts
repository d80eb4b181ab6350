import type { Timestamp } from 'firebase-admin/firestore';
import { z } from 'zod';
import { docId, isoInstant, uid } from '../shared.schema';
import { DUE_MODES, isIanaZone, recurrenceRuleProblem, type Recurrence } from './recurrence-rule';

export const taskStatusSchema = z.enum(['todo', 'in_progress', 'done']);
export const taskPrioritySchema = z.enum(['low', 'medium', 'high']);
export type TaskStatus = z.infer<typeof taskStatusSchema>;
export type TaskPriority = z.infer<typeof taskPrioritySchema>;

export const timeZoneSchema = z
  .string()
  .min(1)
  .max(64)
  .refine(isIanaZone, 'must be an IANA time zone such as Europe/Berlin')
  .meta({ example: 'Europe/Berlin' });

/**
 * RFC 5545 recurrence, expanded with `rrule` in `timezone` (recurrence-rule.ts checks the rule
 * can be). `dueMode`: the next occurrence is created when this one is completed (default) or
 * when its due time passes.
 */
export const recurrenceSchema = z
  .strictObject({
    rule: z
      .string()
      .min(8)
      .max(500)
      .regex(
        /^(RRULE:)?(?=.*\bFREQ=(DAILY|WEEKLY|MONTHLY|YEARLY)\b)[A-Z]+=[A-Za-z0-9,+\-:]+(;[A-Z]+=[A-Za-z0-9,+\-:]+)*$/,
        'must be an RFC 5545 RRULE such as FREQ=WEEKLY;BYDAY=MO,WE',
      )
      .superRefine((rule, ctx) => {
        const problem = recurrenceRuleProblem(rule);
        if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
      }),
    timezone: timeZoneSchema,
    dueMode: z.enum(DUE_MODES).optional(),
  })
  .meta({ id: 'Recurrence' });

export const taskTitleSchema = z.string().trim().min(1).max(200);
export const taskDescriptionSchema = z.string().max(5000);

/** The fields a client may set, with their types; reused by create, PUT and PATCH. */
export const editableTaskShape = {
  title: taskTitleSchema,
  description: taskDescriptionSchema,
  assigneeId: uid.nullable(),
  status: taskStatusSchema,
  priority: taskPrioritySchema,
  dueDate: isoInstant.nullable(),
  recurrence: recurrenceSchema.nullable(),
};

export const taskSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    description: z.string(),
    projectId: z.string(),
    workspaceId: z.string(),
    assigneeId: z.string().nullable(),
    createdBy: z.string(),
    updatedBy: z
      .string()
      .nullable()
      .meta({ description: 'Who made the last change; null when the server did' }),
    status: taskStatusSchema,
    priority: taskPrioritySchema,
    dueDate: isoInstant.nullable(),
    completedAt: isoInstant.nullable(),
    recurrence: z
      .object({ rule: z.string(), timezone: z.string(), dueMode: z.enum(DUE_MODES).optional() })
      .nullable(),
    deletedAt: isoInstant.nullable(),
    createdAt: isoInstant,
    updatedAt: isoInstant,
  })
  .meta({ id: 'Task' });
export type Task = z.infer<typeof taskSchema>;

export const taskIdSchema = docId.meta({ description: 'Task id' });

/** `tasks/{id}` as stored (the server's bookkeeping is in `taskSchedules/{id}`, not here). */
export interface TaskDoc {
  title: string;
  description: string;
  projectId: string;
  workspaceId: string;
  assigneeId: string | null;
  createdBy: string;
  /**
   * Who made the last change (null: the server itself, e.g. unassigning a member who left). The
   * task triggers read it so nobody is notified about their own change; rules make clients set it.
   */
  updatedBy: string | null;
  status: TaskStatus;
  priority: TaskPriority;
  dueDate: Timestamp | null;
  completedAt: Timestamp | null;
  recurrence: Recurrence | null;
  deletedAt: Timestamp | null;
  createdAt: Timestamp;
  updatedAt: Timestamp;
}

export interface TaskEdit {
  title?: string | undefined;
  description?: string | undefined;
  assigneeId?: string | null | undefined;
  status?: TaskStatus | undefined;
  priority?: TaskPriority | undefined;
  dueDate?: string | null | undefined;
  recurrence?: Recurrence | null | undefined;
}
