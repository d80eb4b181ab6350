import type { Operation } from '../src/core/operation';
import { replaceBetween } from './markdown';

/**
 * docs/api-reference.md, rendered from the OpenAPI document the `api` function serves
 * (`buildOpenApiDocument` over the operation registry), and the generated callable list of the
 * README's map of functions. `npm run docs:api` writes both; test/unit/api-reference.test.ts fails
 * when either differs from what the code generates, so neither can go stale.
 */

export const CALLABLE_MAP_MARKERS = [
  '<!-- callable-map:start -->',
  '<!-- callable-map:end -->',
] as const;

interface Schema {
  type?: string;
  format?: string;
  nullable?: boolean;
  enum?: unknown[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  $ref?: string;
  description?: string;
  default?: unknown;
  example?: unknown;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number | boolean;
  exclusiveMaximum?: number | boolean;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
}

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  schema?: Schema;
}

interface Response {
  description: string;
  headers?: Record<string, { description?: string }>;
  content?: Record<string, { schema?: Schema }>;
}

interface PathOperation {
  operationId: string;
  summary?: string;
  description?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema?: Schema }> };
  responses: Record<string, Response>;
}

export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description?: string };
  paths: Record<string, Record<string, PathOperation>>;
  components?: { schemas?: Record<string, Schema> };
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** A table cell: one line, pipes escaped. */
function cell(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');
}

function refName(ref: string): string {
  return ref.replace(/^#\/components\/schemas\//, '');
}

/** GitHub's heading anchor of a schema heading (`### Task` → `#task`). */
function schemaLink(name: string): string {
  return `[${name}](#${name.toLowerCase()})`;
}

/** `1–128 characters`, `≥ 0`, `≤ 500 items`… */
function limits(s: Schema): string[] {
  const out: string[] = [];
  const range = (lo: number | undefined, hi: number | undefined, unit: string): void => {
    if (lo !== undefined && hi !== undefined) out.push(`${String(lo)}–${String(hi)}${unit}`);
    else if (lo !== undefined) out.push(`≥ ${String(lo)}${unit}`);
    else if (hi !== undefined) out.push(`≤ ${String(hi)}${unit}`);
  };
  range(s.minLength, s.maxLength, ' characters');
  range(s.minimum, s.maximum, '');
  if (typeof s.exclusiveMinimum === 'number') out.push(`> ${String(s.exclusiveMinimum)}`);
  if (typeof s.exclusiveMaximum === 'number') out.push(`< ${String(s.exclusiveMaximum)}`);
  range(s.minItems, s.maxItems, ' items');
  if (s.pattern !== undefined) out.push(`pattern \`${s.pattern}\``);
  return out;
}

/** A short type expression: `string (date-time)`, `"todo" \| "done"`, `array of [Task](#task)`. */
export function typeOf(s: Schema): string {
  const base = ((): string => {
    if (s.$ref !== undefined) return schemaLink(refName(s.$ref));
    const alternatives = s.anyOf ?? s.oneOf;
    if (alternatives !== undefined) return alternatives.map(typeOf).join(' or ');
    if (s.allOf !== undefined) return s.allOf.map(typeOf).join(' and ');
    if (s.enum !== undefined) return s.enum.map((v) => JSON.stringify(v)).join(' or ');
    if (s.type === 'array') return `array of ${s.items === undefined ? 'any' : typeOf(s.items)}`;
    if (s.type === 'object' || s.properties !== undefined) {
      if (s.properties === undefined && typeof s.additionalProperties === 'object')
        return `map of ${typeOf(s.additionalProperties)}`;
      return 'object';
    }
    if (s.type === undefined) return 'any';
    return s.format === undefined ? s.type : `${s.type} (${s.format})`;
  })();
  return s.nullable === true ? `${base} or null` : base;
}

/** Description, limits, default and example of a field, in one cell. */
function notes(s: Schema, description?: string): string {
  const parts: string[] = [];
  const text = description ?? s.description;
  if (text !== undefined) parts.push(text);
  parts.push(...limits(s));
  if (s.default !== undefined) parts.push(`default \`${JSON.stringify(s.default)}\``);
  if (s.example !== undefined) parts.push(`e.g. \`${JSON.stringify(s.example)}\``);
  return parts.join('; ');
}

/** Rows `| field | type | required | notes |` of an object, nested inline objects dotted. */
function fieldRows(s: Schema, prefix = '', depth = 0): string[] {
  const rows: string[] = [];
  const required = new Set(s.required ?? []);
  for (const [name, field] of Object.entries(s.properties ?? {})) {
    const path = `${prefix}${name}`;
    rows.push(
      `| \`${path}\` | ${cell(typeOf(field))} | ${required.has(name) ? 'yes' : 'no'} | ${cell(notes(field))} |`,
    );
    const inner = field.type === 'array' ? field.items : field;
    if (inner?.properties !== undefined && inner.$ref === undefined && depth < 2) {
      rows.push(...fieldRows(inner, `${path}${field.type === 'array' ? '[]' : ''}.`, depth + 1));
    }
  }
  return rows;
}

function fieldTable(s: Schema): string[] {
  const rows = fieldRows(s);
  if (rows.length === 0) return [`${typeOf(s)}.`];
  return ['| Field | Type | Required | Notes |', '| --- | --- | --- | --- |', ...rows];
}

/** Error bodies share one schema; their statuses are explained once, at the top. */
function isError(response: Response): boolean {
  const schema = response.content?.['application/json']?.schema;
  return schema?.$ref !== undefined && refName(schema.$ref) === 'Error';
}

function renderOperation(
  method: string,
  path: string,
  op: PathOperation,
  callables: ReadonlySet<string>,
): string[] {
  const out = [`### \`${method.toUpperCase()} ${path}\``, ''];
  const twin = callables.has(op.operationId) ? `callable \`${op.operationId}\`` : 'REST only';
  out.push(`**${op.summary ?? op.operationId}** (${twin})`, '');
  if (op.description !== undefined) out.push(op.description, '');
  const auth =
    (op.security ?? []).length > 0 ? 'a Firebase ID token (`Authorization: Bearer`)' : 'none';
  out.push(`Authentication: ${auth}.`, '');
  const parameters = op.parameters ?? [];
  if (parameters.length > 0) {
    out.push('| Parameter | In | Type | Required | Notes |', '| --- | --- | --- | --- | --- |');
    for (const p of parameters) {
      const s = p.schema ?? {};
      out.push(
        `| \`${p.name}\` | ${p.in} | ${cell(typeOf(s))} | ${p.required === true ? 'yes' : 'no'} | ${cell(notes(s, p.description))} |`,
      );
    }
    out.push('');
  }
  const body = op.requestBody?.content['application/json']?.schema;
  if (body !== undefined) out.push('Body (JSON):', '', ...fieldTable(body), '');
  const errors: string[] = [];
  for (const [status, response] of Object.entries(op.responses)) {
    if (isError(response)) {
      errors.push(status);
      continue;
    }
    const schema = response.content?.['application/json']?.schema;
    const headers = Object.keys(response.headers ?? {});
    const withHeaders =
      headers.length > 0 ? ` (headers ${headers.map((h) => `\`${h}\``).join(', ')})` : '';
    if (schema === undefined) {
      out.push(`Answer ${status}: ${response.description}${withHeaders}.`, '');
    } else if (schema.$ref === undefined && schema.properties !== undefined) {
      out.push(`Answer ${status}${withHeaders}:`, '', ...fieldTable(schema), '');
    } else {
      out.push(`Answer ${status}: ${typeOf(schema)}${withHeaders}.`, '');
    }
  }
  if (errors.length > 0) out.push(`Errors: ${errors.join(', ')} ([Error](#error)).`, '');
  return out;
}

/** Each error status with its meaning, as the document first describes it. */
function errorStatuses(doc: OpenApiDocument): string[] {
  const meaning = new Map<string, string>();
  for (const item of Object.values(doc.paths)) {
    for (const op of Object.values(item)) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (isError(response) && !meaning.has(status)) meaning.set(status, response.description);
      }
    }
  }
  return [
    '| Status | Meaning |',
    '| --- | --- |',
    ...[...meaning]
      .sort(([a], [b]) => Number(a) - Number(b))
      .map(([status, text]) => `| ${status} | ${cell(text)} |`),
  ];
}

/** The whole reference: operations grouped by tag in document order, then the schemas. */
export function renderApiReference(doc: OpenApiDocument, callables: ReadonlySet<string>): string {
  const byTag = new Map<string, string[]>();
  let count = 0;
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (op === undefined) continue;
      count += 1;
      const tag = op.tags?.[0] ?? 'other';
      const section = byTag.get(tag) ?? [];
      section.push(...renderOperation(method, path, op, callables));
      byTag.set(tag, section);
    }
  }
  const schemas = Object.entries(doc.components?.schemas ?? {});
  const out = [
    `# ${doc.info.title}: reference`,
    '',
    '<!-- Generated by `npm --prefix functions run docs:api` from the OpenAPI document the `api`',
    '     function serves at GET /api/openapi.json. Do not edit: test/unit/api-reference.test.ts',
    '     fails when this file differs from what the code generates. -->',
    '',
    doc.info.description ?? '',
    '',
    `OpenAPI ${doc.openapi}, ${String(count)} routes. How this file is generated, and what it does`,
    'not cover (the unsubscribe pages and the SendGrid webhook), is in [the API guide](api.md).',
    '',
    'Every error answers the [Error](#error) body; the statuses a route can answer are listed',
    'with it, and mean:',
    '',
    ...errorStatuses(doc),
    '',
    '## Routes',
    '',
  ];
  for (const tag of byTag.keys()) out.push(`- [${tag}](#${tag.toLowerCase()})`);
  out.push('- [Schemas](#schemas)', '');
  for (const [tag, lines] of byTag) out.push(`## ${tag}`, '', ...lines);
  out.push('## Schemas', '');
  for (const [name, schema] of schemas) {
    out.push(`### ${name}`, '');
    if (schema.description !== undefined) out.push(schema.description, '');
    out.push(...fieldTable(schema), '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

/** One line per callable of the registry, for the README's map of functions. */
export function renderCallableMap(operations: readonly Operation[]): string {
  return [
    '| Callable | REST twin | What |',
    '| --- | --- | --- |',
    ...operations.map(
      (op) =>
        `| \`${op.name}\` | \`${op.http.method.toUpperCase()} /api${op.http.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}\` | ${cell(op.summary)} |`,
    ),
  ].join('\n');
}

/** The README with its generated callable list brought up to date. */
export function updateReadme(readme: string, operations: readonly Operation[]): string {
  return replaceBetween(readme, CALLABLE_MAP_MARKERS, renderCallableMap(operations), 'README.md');
}
