import type { Timestamp } from 'firebase-admin/firestore';
import { z } from 'zod';
import { isoInstant, uid } from '../shared.schema';

export const workspaceRoleSchema = z.enum(['owner', 'admin', 'member']);
export type WorkspaceRole = z.infer<typeof workspaceRoleSchema>;

export const workspaceNameSchema = z.string().trim().min(1).max(100);
export const workspaceDescriptionSchema = z.string().max(1000);

export const workspaceSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    ownerId: uid,
    members: z.array(uid),
    roles: z.record(z.string(), workspaceRoleSchema),
    createdAt: isoInstant,
    updatedAt: isoInstant,
  })
  .meta({ id: 'Workspace' });
export type Workspace = z.infer<typeof workspaceSchema>;

/** `workspaces/{id}` as stored. */
export interface WorkspaceDoc {
  name: string;
  /** Optional: firestore.rules let a details edit drop it. */
  description?: string;
  ownerId: string;
  members: string[];
  roles: Record<string, WorkspaceRole>;
  /** Absent on the first demo seeds (read as the epoch). */
  createdAt?: Timestamp;
  /** Absent on documents written before it was kept. */
  updatedAt?: Timestamp;
}
