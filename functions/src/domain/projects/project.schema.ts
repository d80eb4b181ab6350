import type { Timestamp } from 'firebase-admin/firestore';
import { z } from 'zod';
import { isoInstant, uid } from '../shared.schema';

export const projectNameSchema = z.string().trim().min(1).max(100);
export const projectDescriptionSchema = z.string().max(1000);

export const projectSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    workspaceId: z.string(),
    ownerId: uid,
    members: z.array(uid),
    createdAt: isoInstant,
    updatedAt: isoInstant,
  })
  .meta({ id: 'Project' });
export type Project = z.infer<typeof projectSchema>;

/** `projects/{id}` as stored. */
export interface ProjectDoc {
  name: string;
  /** Optional: firestore.rules let a details edit drop it. */
  description?: string;
  workspaceId: string;
  ownerId: string;
  members: string[];
  /** Absent on the first demo seeds (read as the epoch). */
  createdAt?: Timestamp;
  /** Absent on documents written before it was kept. */
  updatedAt?: Timestamp;
}
