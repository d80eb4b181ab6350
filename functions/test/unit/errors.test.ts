import { z } from 'zod';
import { AppError, ERROR_KINDS } from '../../src/core/errors';
import { parseOrThrow, toFieldIssues } from '../../src/core/validation';

describe('error vocabulary', () => {
  it('maps every code to the HTTP status of the REST contract and an SDK callable code', () => {
    expect(
      Object.fromEntries(Object.entries(ERROR_KINDS).map(([k, v]) => [k, [v.status, v.callable]])),
    ).toEqual({
      VALIDATION_ERROR: [400, 'invalid-argument'],
      MALFORMED_JSON: [400, 'invalid-argument'],
      UNAUTHENTICATED: [401, 'unauthenticated'],
      TOKEN_REVOKED: [401, 'unauthenticated'],
      PERMISSION_DENIED: [403, 'permission-denied'],
      NOT_FOUND: [404, 'not-found'],
      CONFLICT: [409, 'already-exists'],
      FAILED_PRECONDITION: [400, 'failed-precondition'],
      PAYLOAD_TOO_LARGE: [413, 'invalid-argument'],
      UNPROCESSABLE_ENTITY: [422, 'failed-precondition'],
      RATE_LIMITED: [429, 'resource-exhausted'],
      UNAVAILABLE: [503, 'unavailable'],
      INTERNAL: [500, 'internal'],
    });
  });

  it('names the first bad field in the message and counts the rest', () => {
    const e = AppError.validation([
      { field: 'a.b', message: 'Required' },
      { field: 'c', message: 'Too long' },
    ]);
    expect(e.message).toBe('a.b: Required (and 1 more)');
    expect(e.status).toBe(400);
  });
});

describe('zod issues → field issues', () => {
  const schema = z.strictObject({
    user: z.strictObject({ name: z.string(), age: z.number().int() }),
    tags: z.array(z.string()).max(1),
  });

  it('gives dotted paths, array indices and one issue per unknown key', () => {
    const result = schema.safeParse({ user: { name: 1, age: 1.5, x: 1, y: 2 }, tags: [3] });
    expect(result.success).toBe(false);
    if (result.success) return;
    const fields = toFieldIssues(result.error).map((i) => i.field);
    expect(fields).toEqual(
      expect.arrayContaining(['user.name', 'user.age', 'user.x', 'user.y', 'tags.0']),
    );
  });

  it('parseOrThrow returns the parsed value or throws a VALIDATION_ERROR', () => {
    expect(parseOrThrow(schema, { user: { name: 'a', age: 3 }, tags: [] })).toEqual({
      user: { name: 'a', age: 3 },
      tags: [],
    });
    expect(() => parseOrThrow(schema, null)).toThrow(AppError);
    try {
      parseOrThrow(schema, { user: { name: 'a', age: 3 } });
    } catch (e) {
      expect(e).toMatchObject({ code: 'VALIDATION_ERROR', details: [{ field: 'tags' }] });
    }
  });
});
