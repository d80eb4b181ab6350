import { z } from 'zod';
import type { Operation } from '../src/core/operation';
import type { QueryShape } from '../src/core/query-shape';
import { replaceBetween } from './markdown';

/**
 * The generated parts of docs/flutter.md: one section per callable (from the operation registry)
 * and the table of the client's Firestore queries (from the query catalog). `npm run docs:flutter`
 * rewrites them between their markers; test/unit/flutter-guide.test.ts fails when they are stale.
 */

export const CALLABLES_MARKERS = ['<!-- callables:start -->', '<!-- callables:end -->'] as const;
export const QUERIES_MARKERS = [
  '<!-- client-queries:start -->',
  '<!-- client-queries:end -->',
] as const;

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  examples?: unknown[];
  example?: unknown;
  default?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  format?: string;
  minimum?: number;
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
}

/** The JSON schema of a zod schema, with a top-level `$ref` resolved (and its name). */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema & { title?: string } {
  const root = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  const name = root.$ref?.replace(/^#\/\$defs\//, '');
  const resolved = name === undefined ? undefined : root.$defs?.[name];
  return resolved === undefined ? root : { ...resolved, title: name };
}

/** A plausible Dart literal for a field, from its JSON schema. */
function dartValue(name: string, s: JsonSchema, depth = 0): string {
  const example = s.examples?.[0] ?? s.example;
  if (example !== undefined) return dartLiteral(example);
  if (s.const !== undefined) return dartLiteral(s.const);
  if (s.enum !== undefined && s.enum.length > 0) return dartLiteral(s.enum[0]);
  const alternatives = s.anyOf ?? s.oneOf;
  if (alternatives !== undefined) {
    const first = alternatives.find((a) => a.type !== 'null') ?? alternatives[0];
    return first === undefined ? 'null' : dartValue(name, first, depth);
  }
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
  switch (type) {
    case 'string':
      if (s.format === 'date-time') return "'2026-12-01T17:00:00Z'";
      return `'${name.endsWith('Id') ? name.replace(/Id$/, '-id') : name}'`;
    case 'integer':
    case 'number':
      return String(s.minimum !== undefined && s.minimum > 1 ? s.minimum : 1);
    case 'boolean':
      return 'true';
    case 'array':
      return s.items === undefined || depth > 2 ? '[]' : `[${dartValue(name, s.items, depth + 1)}]`;
    case 'object': {
      if (depth > 2 || s.properties === undefined) return '<String, dynamic>{}';
      const entries = Object.entries(s.properties)
        .filter(([key]) => s.required?.includes(key))
        .map(([key, value]) => `'${key}': ${dartValue(key, value, depth + 1)}`);
      return `<String, dynamic>{${entries.join(', ')}}`;
    }
    default:
      return 'null';
  }
}

function dartLiteral(value: unknown): string {
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (Array.isArray(value)) return `[${value.map(dartLiteral).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).map(([k, v]) => `'${k}': ${dartLiteral(v)}`);
    return `<String, dynamic>{${entries.join(', ')}}`;
  }
  return String(value);
}

function fieldList(s: JsonSchema): string {
  const props = Object.keys(s.properties ?? {});
  if (props.length === 0) return '—';
  return props.map((p) => (s.required?.includes(p) ? `\`${p}\`` : `\`${p}?\``)).join(', ');
}

const ACCESS = { public: 'anyone', user: 'signed in', admin: 'admin claim (fresh token)' };

/** One section per callable, alphabetically. */
export function renderCallableReference(operations: readonly Operation[]): string {
  const sections = [...operations]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((op) => {
      const input = jsonSchema(op.input, 'input');
      const output = jsonSchema(op.output, 'output');
      const required = Object.entries(input.properties ?? {}).filter(
        ([key]) => input.required?.includes(key) && !(op.callerDefaults ?? []).includes(key),
      );
      const args = required.map(([key, s]) => `  '${key}': ${dartValue(key, s)},`);
      const rest = Object.entries(op.restNames ?? {})
        .map(([camel, snake]) => `\`${camel}\` (REST \`${snake}\`)`)
        .join(', ');
      const defaults = (op.callerDefaults ?? []).map((f) => `\`${f}\``).join(', ');
      return [
        `### ${op.name}`,
        '',
        `${op.summary}. Access: ${ACCESS[op.access]}. REST twin: \`${op.http.method.toUpperCase()} /api${op.http.path}\`.`,
        '',
        `- Request: ${fieldList(input)}${defaults === '' ? '' : ` (${defaults} default to the caller)`}`,
        `- Result: ${output.title === undefined ? '' : `a \`${output.title}\`: `}${fieldList(output)}`,
        ...(rest === '' ? [] : [`- Named differently on REST: ${rest}`]),
        '',
        '```dart',
        ...(args.length === 0
          ? [
              `final result = await functions.httpsCallable('${op.name}').call(<String, dynamic>{});`,
            ]
          : [
              `final result = await functions.httpsCallable('${op.name}').call(<String, dynamic>{`,
              ...args,
              '});',
            ]),
        'final data = Map<String, dynamic>.from(result.data as Map);',
        '```',
      ].join('\n');
    });
  return sections.join('\n\n');
}

function describeShape(q: QueryShape): string {
  const parts = [
    ...q.equals.map((f) => `\`${f} ==\``),
    ...(q.arrayContains === undefined ? [] : [`\`${q.arrayContains} array-contains\``]),
    ...(q.range === undefined ? [] : [`\`${q.range}\` range`]),
  ];
  const order = q.orderBy.map(([f, d]) => `\`${f} ${d}\``).join(', ');
  return `${parts.join(', ') || '—'} | ${order || '—'}`;
}

/** The client's catalogued queries as a table (collection, filters, order). */
export function renderClientQueries(queries: readonly QueryShape[]): string {
  return [
    '| Collection | Filters | Order |',
    '| --- | --- | --- |',
    ...queries.map(
      (q) =>
        `| \`${q.collection}\`${q.scope === 'collectionGroup' ? ' (group)' : ''} | ${describeShape(q)} |`,
    ),
  ].join('\n');
}

/** The guide with both generated parts brought up to date. */
export function updateGuide(
  doc: string,
  operations: readonly Operation[],
  queries: readonly QueryShape[],
): string {
  const name = 'docs/flutter.md';
  return replaceBetween(
    replaceBetween(doc, CALLABLES_MARKERS, renderCallableReference(operations), name),
    QUERIES_MARKERS,
    renderClientQueries(queries),
    name,
  );
}
