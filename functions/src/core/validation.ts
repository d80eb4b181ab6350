import type { z } from 'zod';
import { AppError, type FieldIssue } from './errors';

/** Turns zod issues into field-named issues: `preferences.emailFrequency`, `token`, … */
export function toFieldIssues(error: z.ZodError): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const issue of error.issues) {
    const base = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        issues.push({ field: [...base, key].join('.'), message: 'Unknown field' });
      }
      continue;
    }
    issues.push({ field: base.join('.'), message: issue.message });
  }
  return issues;
}

/** Parses `data` with `schema`, throwing a 400 {@link AppError} that names every bad field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, data: unknown): z.output<S> {
  const result = schema.safeParse(data);
  if (!result.success) throw AppError.validation(toFieldIssues(result.error));
  return result.data;
}
