import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildOpenApiDocument } from '../../src/http/openapi';
import { operations } from '../../src/operations/registry';
import {
  CALLABLE_MAP_MARKERS,
  renderApiReference,
  updateReadme,
  type OpenApiDocument,
} from '../../scripts/api-reference';

/** docs/api-reference.md and the README's callable list are what the code generates. */
const REPO = path.join(__dirname, '../../..');
const read = (file: string): string => readFileSync(path.join(REPO, file), 'utf8');

describe('the API reference (docs/api-reference.md)', () => {
  const document = buildOpenApiDocument(operations) as OpenApiDocument;
  const reference = renderApiReference(document, new Set(operations.map((op) => op.name)));

  it('is the rendering of the served OpenAPI document (else: npm run docs:api)', () => {
    expect(read('docs/api-reference.md')).toBe(reference);
  });

  it('has a section for every route of the document, naming its callable twin', () => {
    for (const [route, item] of Object.entries(document.paths)) {
      for (const method of Object.keys(item)) {
        expect(reference).toContain(`### \`${method.toUpperCase()} ${route}\``);
      }
    }
    for (const op of operations) expect(reference).toContain(`(callable \`${op.name}\`)`);
  });

  it('documents every schema the routes refer to', () => {
    const refs = new Set([...reference.matchAll(/\]\(#([a-z0-9-]+)\)/g)].map((m) => m[1]));
    const headings = new Set(
      [...reference.matchAll(/^#{2,3} (.+)$/gm)].map((m) => (m[1] ?? '').toLowerCase()),
    );
    expect([...refs].filter((anchor) => anchor !== undefined && !headings.has(anchor))).toEqual([]);
  });
});

describe("the README's map of callables", () => {
  const readme = read('README.md');

  it('lists every operation of the registry (else: npm run docs:api)', () => {
    expect(readme).toContain(CALLABLE_MAP_MARKERS[0]);
    expect(updateReadme(readme, operations)).toBe(readme);
    for (const op of operations) expect(readme).toContain(`| \`${op.name}\` |`);
  });
});
