import type { Timestamp } from 'firebase-admin/firestore';
import { z } from 'zod';
import { docId, isoInstant } from '../shared.schema';

export const notificationIdSchema = docId.meta({ description: 'Notification id' });

export const notificationSchema = z
  .object({
    id: z.string(),
    type: z.string().meta({ example: 'task_assigned' }),
    title: z.string(),
    body: z.string(),
    taskId: z.string().nullable(),
    projectId: z.string().nullable(),
    read: z.boolean(),
    groupKey: z.string().nullable(),
    createdAt: isoInstant,
    readAt: isoInstant.nullable(),
  })
  .meta({ id: 'Notification' });
export type Notification = z.infer<typeof notificationSchema>;

/**
 * An inbox item as stored. Written by the server only (firestore.rules let the owner change
 * `read` and nothing else), so `readAt` can be stale or missing on an item the app marked itself.
 */
export interface NotificationDoc {
  type: string;
  title: string;
  body: string;
  taskId: string | null;
  projectId: string | null;
  read: boolean;
  groupKey: string | null;
  createdAt: Timestamp;
  readAt?: Timestamp | null;
}

/** What the notification engine hands to {@link import('./inbox.service').addInboxItem}. */
export interface NewInboxItem {
  type: string;
  title: string;
  body: string;
  taskId?: string | null | undefined;
  projectId?: string | null | undefined;
  /** Items about the same thing (e.g. one task's comments) share a key so the app can fold them. */
  groupKey?: string | null | undefined;
}
