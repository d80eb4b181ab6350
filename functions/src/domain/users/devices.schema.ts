import { z } from 'zod';
import { isDocumentId } from '../../core/firestore-limits';

export const platformSchema = z.enum(['ios', 'android', 'web']);
export type Platform = z.infer<typeof platformSchema>;

/** FCM registration tokens are opaque printable strings (~150–250 chars today). */
export const fcmTokenSchema = z
  .string()
  .min(16, 'must be an FCM registration token')
  .max(4096)
  .regex(/^[\x21-\x7E]+$/, 'must be an FCM registration token (printable, no spaces)');

/** A client-chosen id for the installation (stable across token refreshes). */
export const deviceIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_.:-]+$/, 'may contain only letters, digits and _ . : -')
  // It names a document: Firestore refuses `.`, `..` and `__reserved__` ids.
  .refine(isDocumentId, 'must not be "." or ".." or __reserved__');
