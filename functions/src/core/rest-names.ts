import { z } from 'zod';
import type { InputSchema, Operation } from './operation';

/**
 * Field names differ between the two doors in one place only: where the public REST contract
 * names a field in snake_case (`unread_only`, `message_id`, `batch_id`), REST keeps that name and
 * the callable uses the camelCase one, like every other field. An operation is declared in
 * camelCase with `restNames` ({ camelCase: 'rest_name' }); its REST route and OpenAPI entry use
 * {@link restView}, which renames those top-level fields of the input and the output.
 */
export type RestNames = Readonly<Record<string, string>>;

/** The same object with some top-level keys renamed (its type is the caller's to know). */
function renameKeys<T>(value: T, names: RestNames): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [names[k] ?? k, v])) as T;
}

function invert(names: RestNames): RestNames {
  return Object.fromEntries(Object.entries(names).map(([camel, rest]) => [rest, camel]));
}

/** The same object schema with some keys renamed (strictness kept; no object-level checks). */
function renameShape<S extends z.ZodObject>(schema: S, names: RestNames, what: string): S {
  if ((schema.def.checks?.length ?? 0) > 0) {
    throw new Error(`${what}: an object with refinements cannot have its fields renamed`);
  }
  const shape = Object.fromEntries(
    Object.entries(schema.shape).map(([key, field]) => [names[key] ?? key, field]),
  );
  const strict = schema.def.catchall instanceof z.ZodNever;
  return (strict ? z.strictObject(shape) : z.object(shape)) as unknown as S;
}

/**
 * The operation as the REST door sees it: the `restNames` fields under their REST names, in the
 * input it validates (so a 400 names the field the REST client sent), the output it answers, the
 * OpenAPI schemas and the headers. The handler still sees the camelCase declaration.
 */
export function restView(op: Operation): Operation {
  const names = op.restNames;
  if (names === undefined || Object.keys(names).length === 0) return op;
  const back = invert(names);
  const input: InputSchema = renameShape(op.input, names, `${op.name} input`);
  const output =
    op.output instanceof z.ZodObject
      ? renameShape(op.output, names, `${op.name} output`)
      : op.output;
  const declared = op;
  return {
    ...op,
    input,
    output,
    ...(op.callerDefaults !== undefined
      ? { callerDefaults: op.callerDefaults.map((f) => names[f] ?? f) }
      : {}),
    ...(op.httpHeaders !== undefined
      ? {
          httpHeaders: Object.fromEntries(
            Object.entries(op.httpHeaders).map(([name, header]) => [
              name,
              { ...header, value: (o: unknown) => header.value(renameKeys(o, back)) },
            ]),
          ),
        }
      : {}),
    handler: async (rest, ctx) =>
      renameKeys(await declared.handler(renameKeys(rest, back), ctx), names),
    ...(declared.httpStream !== undefined
      ? {
          httpStream: (rest, ctx, out) =>
            declared.httpStream?.(renameKeys(rest, back), ctx, out) ?? Promise.resolve(),
        }
      : {}),
  };
}
