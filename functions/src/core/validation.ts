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

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Whether `s` is well-formed UTF-16 (no unpaired surrogate). Firestore stores UTF-8, which cannot
 * encode a lone surrogate: it would be replaced by U+FFFD, so an id or name would not read back as
 * written.
 */
export function isWellFormedText(s: string): boolean {
  return !LONE_SURROGATE.test(s);
}

/**
 * Deepest nesting of objects and arrays an input may have. No operation's input goes deeper than
 * a few levels, and Firestore maps stop at 20; the limit is checked without recursion, so a body of
 * 16,000 nested brackets is a 400 rather than a stack overflow in a recursive validator.
 */
export const MAX_INPUT_DEPTH = 32;

/**
 * The first structural problem of a raw input, found iteratively before any schema sees it: a
 * string (value or key) with an unpaired surrogate, or nesting deeper than {@link MAX_INPUT_DEPTH}.
 */
export function inputProblem(raw: unknown): FieldIssue | null {
  const stack: { value: unknown; path: string[] }[] = [{ value: raw, path: [] }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { value, path } = item;
    const field = path.join('.');
    if (typeof value === 'string') {
      if (!isWellFormedText(value)) {
        return { field, message: 'must be well-formed Unicode (unpaired UTF-16 surrogate)' };
      }
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (path.length >= MAX_INPUT_DEPTH) {
      return { field, message: `is nested too deeply (at most ${MAX_INPUT_DEPTH} levels)` };
    }
    const entries: [string, unknown][] = Array.isArray(value)
      ? value.map((v: unknown, i) => [String(i), v])
      : Object.entries(value as Record<string, unknown>);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, child] = entries[i] as [string, unknown];
      if (!isWellFormedText(key)) {
        return {
          field: [...path, '?'].join('.'),
          message: 'has a key that is not well-formed Unicode (unpaired UTF-16 surrogate)',
        };
      }
      stack.push({ value: child, path: [...path, key] });
    }
  }
  return null;
}

/** Parses `data` with `schema`, throwing a 400 {@link AppError} that names every bad field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, data: unknown): z.output<S> {
  const result = schema.safeParse(data);
  if (!result.success) throw AppError.validation(toFieldIssues(result.error));
  return result.data;
}
