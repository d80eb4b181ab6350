import { z } from 'zod';

/** Page size of a list operation: 1–100 with the given default (query strings are coerced). */
export function pageLimitField(byDefault: number) {
  return z.coerce.number().int().min(1).max(100).default(byDefault);
}

/** Page size of list operations: 1–100, default 50. */
export const limitField = pageLimitField(50);

/** A boolean that also accepts the query-string forms `true` / `false`. */
export const flagField = z
  .union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')])
  .default(false);

export const success = z.literal(true);
