import fc from 'fast-check';
import type { z } from 'zod';

/**
 * fast-check arbitraries derived from an operation's zod input schema, for the fuzz suite: inputs
 * that are valid (so the handlers run for real), on the boundaries of every check, and hostile
 * (wrong types, huge and ill-formed strings, deep nesting, Firestore-reserved ids, tampered
 * cursors, extra fields). New schema kinds fall back to "anything", so a new operation is fuzzed
 * without touching this file.
 */

/** zod 4's internal definition, as far as the generator reads it. */
interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
  innerType?: z.ZodType;
  element?: z.ZodType;
  keyType?: z.ZodType;
  valueType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  options?: z.ZodType[];
  entries?: Record<string, string | number>;
  values?: unknown[];
  format?: string;
  checks?: { _zod: { def: CheckDef } }[];
  defaultValue?: unknown;
}

interface CheckDef {
  check: string;
  minimum?: number;
  maximum?: number;
  value?: number;
  inclusive?: boolean;
  format?: string;
  pattern?: RegExp;
}

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

function checksOf(def: Def): CheckDef[] {
  return (def.checks ?? []).map((c) => c._zod.def);
}

/**
 * The embedded test server (not Firestore) looks documents up with `id in object`, so an id named
 * like an Object.prototype member (`toString`, `constructor`) breaks it; real Firestore takes them.
 * Against that server such strings get a suffix.
 */
const EMBEDDED = process.env.TASKFLOW_FIRESTORE_EMBEDDED === '1';
function testServerSafe(s: string): string {
  return EMBEDDED && s in Object.prototype ? `${s}_` : s;
}

/** Values Firestore, JSON, zod or a handler are known to trip on. */
export function hostileString(): fc.Arbitrary<string> {
  return hostileStrings().map(testServerSafe);
}

function hostileStrings(): fc.Arbitrary<string> {
  const loneSurrogate = fc
    .integer({ min: 0xd800, max: 0xdfff })
    .map((c) => `a${String.fromCharCode(c)}b`);
  return fc.oneof(
    fc.constantFrom(
      '',
      ' ',
      'a/b',
      '.',
      '..',
      '__x__',
      '____',
      '../..',
      '%2F',
      '__proto__',
      'constructor',
      '\u0000',
      '\uD800',
      '\uDFFF',
      '😀'.repeat(64),
      'é'.repeat(600),
      'x'.repeat(5000),
      '0000-01-01T00:00:00Z',
      '9999-12-31T23:59:59Z',
      '10000-01-01T00:00:00Z',
      '2026-02-30T00:00:00Z',
      'NaN',
      '-1',
      'null',
      '{}',
      'FREQ=SECONDLY',
      'Foo/Bar',
    ),
    loneSurrogate,
    tamperedCursor(),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.string({ unit: 'grapheme', maxLength: 40 }),
  );
}

/** A base64url JSON "cursor" with out-of-range timestamps, bad ids or the wrong shape. */
export function tamperedCursor(): fc.Arbitrary<string> {
  const seconds = fc.oneof(
    fc.constantFrom(-62_135_596_801, 253_402_300_800, 1e15, -1e15, 1.5, 0),
    fc.integer(),
  );
  const nanos = fc.oneof(fc.constantFrom(1e9, -1, 0.5, 999_999_999), fc.integer());
  const id = fc.oneof(fc.constantFrom('a/b', '..', '.', '', '__x__', 'ok', 'x'.repeat(2000)));
  const v = fc.oneof(fc.tuple(seconds, nanos), fc.constant(null), fc.array(fc.integer()));
  const cursor = fc.record(
    { s: fc.constantFrom('createdAt', 'dueDate', 'updatedAt', 'x'), v, id },
    { requiredKeys: [] },
  );
  return fc.oneof(
    cursor.map((c) => Buffer.from(JSON.stringify(c)).toString('base64url')),
    fc.string({ maxLength: 30 }).map((s) => Buffer.from(s).toString('base64url')),
    fc.constantFrom('!!!', '%%%', 'e30', 'bnVsbA'),
  );
}

/**
 * Nesting `depth` levels deep, of arrays or objects. It prints as a summary in fast-check's
 * reports (its printer recurses, and would overflow the stack on the value itself); the symbol
 * key is invisible to JSON.
 */
export function nested(depth: number, kind: 'array' | 'object'): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = kind === 'array' ? [v] : { a: v };
  Object.defineProperty(v, fc.toStringMethod, {
    value: () => `nested(${depth}, '${kind}')`,
    enumerable: false,
  });
  return v;
}

/** Any value of the wrong kind, large or deep. */
export function hostileValue(): fc.Arbitrary<unknown> {
  return fc.oneof(
    hostileString(),
    fc.constantFrom(0, -1, 1e9, -1e9, 1e15, 2 ** 53 + 2, 0.5, 1e308, -0, NaN, Infinity),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.constant([]),
    fc.constant({}),
    fc.array(fc.string({ maxLength: 5 }), { maxLength: 600 }),
    fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 8 }),
    fc
      .tuple(
        fc.integer({ min: 20, max: 3000 }),
        fc.constantFrom('array' as const, 'object' as const),
      )
      .map(([depth, kind]) => nested(depth, kind)),
  );
}

export interface ArbitraryOptions {
  /** Ids that exist in the fuzzed project, used for fields ending in `Id` (and `id`). */
  knownIds: readonly string[];
  /** Weight of a hostile value at each leaf (0 = valid input only). */
  hostility: number;
}

function isIdField(key: string | undefined): boolean {
  return key !== undefined && /(^id|Id|Ids)$/.test(key);
}

function stringArbitrary(def: Def, key: string | undefined, o: ArbitraryOptions) {
  const checks = checksOf(def);
  let min = 0;
  let max = 200;
  let pattern: RegExp | undefined;
  let datetime = def.format === 'datetime';
  for (const c of checks) {
    if (c.check === 'min_length' && c.minimum !== undefined) min = c.minimum;
    if (c.check === 'max_length' && c.maximum !== undefined) max = c.maximum;
    if (c.check === 'string_format' && c.format === 'regex') pattern = c.pattern;
    if (c.check === 'string_format' && c.format === 'datetime') datetime = true;
  }
  if (datetime) {
    return fc.oneof(
      fc
        .date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z') })
        .filter((d) => !Number.isNaN(d.getTime()))
        .map((d) => d.toISOString()),
      fc.constantFrom('0001-01-01T00:00:00Z', '9999-12-31T23:59:59Z', '2026-11-23T10:00:00+05:30'),
    );
  }
  // Stretched or cut to the length checks (a filter could spin for ever on a long minimum).
  const fit = (s: string) =>
    (s === '' ? 'x' : s).repeat(Math.ceil(min / Math.max(s.length, 1)) || 1).slice(0, max);
  let generic: fc.Arbitrary<string>;
  try {
    generic =
      pattern === undefined
        ? fc.string({ minLength: min, maxLength: Math.min(max, min + 60) })
        : fc.stringMatching(pattern).map(fit);
  } catch {
    // fast-check cannot generate from every regex (lookaheads): plain strings then.
    generic = fc.string({ minLength: min, maxLength: Math.min(max, min + 60) });
  }
  const boundary = fc.constantFrom('x'.repeat(Math.max(min, 1)), 'x'.repeat(Math.min(max, 5000)));
  const base = fc
    .oneof({ weight: 4, arbitrary: generic }, { weight: 1, arbitrary: boundary })
    .map(testServerSafe);
  return isIdField(key) && o.knownIds.length > 0
    ? fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(...o.knownIds) },
        { weight: 1, arbitrary: base },
      )
    : base;
}

function numberArbitrary(def: Def): fc.Arbitrary<number> {
  let min = -1e6;
  let max = 1e6;
  let integer = false;
  for (const c of checksOf(def)) {
    if (c.check === 'greater_than' && c.value !== undefined) min = c.value + (c.inclusive ? 0 : 1);
    if (c.check === 'less_than' && c.value !== undefined) max = c.value - (c.inclusive ? 0 : 1);
    if (c.check === 'number_format') integer = true;
  }
  const inRange = integer
    ? fc.integer({ min: Math.ceil(min), max: Math.floor(max) })
    : fc.double({ min, max, noNaN: true });
  return fc.oneof(inRange, fc.constantFrom(min, max, min - 1, max + 1));
}

/** The arbitrary of one schema; `key` is the field name it sits under (ids get known ids). */
export function arbitraryOf(
  schema: z.ZodType,
  o: ArbitraryOptions,
  key?: string,
): fc.Arbitrary<unknown> {
  const valid = validArbitrary(schema, o, key);
  return o.hostility === 0
    ? valid
    : fc.oneof({ weight: 6, arbitrary: valid }, { weight: o.hostility, arbitrary: hostileValue() });
}

function validArbitrary(
  schema: z.ZodType,
  o: ArbitraryOptions,
  key?: string,
): fc.Arbitrary<unknown> {
  const def = defOf(schema);
  switch (def.type) {
    case 'string':
      return stringArbitrary(def, key, o);
    case 'number':
      return numberArbitrary(def);
    case 'boolean':
      return fc.boolean();
    case 'enum':
      return fc.constantFrom(...Object.values(def.entries ?? { x: 'x' }));
    case 'literal':
      return fc.constantFrom(...(def.values ?? [null]));
    case 'optional':
    case 'default':
    case 'prefault':
      return fc.option(arbitraryOf(def.innerType as z.ZodType, o, key), { nil: undefined });
    case 'nullable':
      return fc.option(arbitraryOf(def.innerType as z.ZodType, o, key), { nil: null });
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      return arbitraryOf(def.innerType as z.ZodType, o, key);
    case 'pipe':
      return defOf(def.in as z.ZodType).type === 'transform'
        ? arbitraryOf(def.out as z.ZodType, o, key)
        : arbitraryOf(def.in as z.ZodType, o, key);
    case 'union':
      return fc.oneof(...(def.options ?? []).map((opt) => arbitraryOf(opt, o, key)));
    case 'array': {
      let maxLength = 5;
      let minLength = 0;
      for (const c of checksOf(def)) {
        if (c.check === 'max_length' && c.maximum !== undefined)
          maxLength = Math.min(c.maximum + 1, 8);
        if (c.check === 'min_length' && c.minimum !== undefined) minLength = c.minimum;
      }
      return fc.array(arbitraryOf(def.element as z.ZodType, o, key), {
        minLength: Math.min(minLength, maxLength),
        maxLength,
      });
    }
    case 'record':
      return fc.dictionary(
        fc.string({ minLength: 1, maxLength: 10 }),
        arbitraryOf(def.valueType as z.ZodType, o),
        { maxKeys: 5 },
      );
    case 'object': {
      const shape = def.shape ?? {};
      const fields = Object.fromEntries(
        Object.entries(shape).map(([k, v]) => [k, arbitraryOf(v, o, k)]),
      );
      const record = fc
        .record(fields, { requiredKeys: [] })
        .map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)));
      if (o.hostility === 0) return record;
      // Extra fields, some named like real ones in other schemas.
      return fc
        .tuple(
          record,
          fc.option(
            fc.dictionary(
              fc.constantFrom('extra', 'admin', 'ownerId', '__proto__', 'members', 'x'),
              hostileValue(),
              { maxKeys: 2 },
            ),
            { nil: undefined, freq: 4 },
          ),
        )
        .map(([r, extra]) => ({ ...r, ...extra }));
    }
    default:
      // unknown, any, custom and kinds added later: JSON of any shape.
      return fc.jsonValue({ maxDepth: 3 });
  }
}

/**
 * Whole inputs for an operation: mostly objects shaped by the schema with hostile leaves, sometimes
 * valid only, sometimes not an object at all.
 */
export function inputArbitrary(
  schema: z.ZodType,
  knownIds: readonly string[],
): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 3, arbitrary: arbitraryOf(schema, { knownIds, hostility: 0 }) },
    { weight: 6, arbitrary: arbitraryOf(schema, { knownIds, hostility: 1 }) },
    { weight: 1, arbitrary: hostileValue() },
  );
}
