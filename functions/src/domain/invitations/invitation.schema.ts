import type { Timestamp } from 'firebase-admin/firestore';
import { z } from 'zod';
import { isoInstant, uid } from '../shared.schema';
import { workspaceRoleSchema, type WorkspaceRole } from '../workspaces/workspace.schema';
import type { StoredStatus } from './invitation-state';

export const invitationStatusSchema = z.enum([
  'pending',
  'accepted',
  'declined',
  'revoked',
  'expired',
]);

export const invitationSchema = z
  .object({
    id: z.string(),
    workspaceId: z.string(),
    workspaceName: z.string(),
    email: z.string(),
    role: workspaceRoleSchema,
    status: invitationStatusSchema,
    invitedBy: uid,
    createdAt: isoInstant,
    expiresAt: isoInstant,
    respondedAt: isoInstant.nullable(),
  })
  .meta({ id: 'Invitation' });
export type Invitation = z.infer<typeof invitationSchema>;

/** `invitations/{id}` as stored (server-written only; see firestore.rules for who reads it). */
export interface InvitationDoc {
  workspaceId: string;
  workspaceName: string;
  /** The invited address, trimmed and lower-case. */
  email: string;
  role: WorkspaceRole;
  status: StoredStatus;
  invitedBy: string;
  /** Shown to the invitee: the inviter's address (users have no public directory of names). */
  inviterName: string | null;
  /** The account that had the address when invited (it got an inbox item), if any. */
  inviteeId: string | null;
  /** Bumped when an ended invitation of the same address is renewed: keys its notifications. */
  round: number;
  createdAt: Timestamp;
  updatedAt: Timestamp;
  expiresAt: Timestamp;
  respondedAt: Timestamp | null;
  acceptedBy: string | null;
}
