/**
 * How an address is compared and keyed on the suppression list (pure). The list is written by
 * `suppressions.service.ts`; what a profile knows about its address by `suppression-check.service.ts`.
 */
import { createHash } from 'node:crypto';

/** Normalised form of an address: how it is compared and keyed. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Document id of an address's suppression entry (no address in ids or logs of paths). */
export function suppressionKey(email: string): string {
  return createHash('sha256').update(normaliseEmail(email)).digest('hex');
}
