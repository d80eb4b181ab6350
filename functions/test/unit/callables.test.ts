import { readFileSync } from 'node:fs';
import path from 'node:path';
import { restView } from '../../src/core/rest-names';
import { operations } from '../../src/operations/registry';

/**
 * One door for the app: every operation of the registry is a callable exported under the
 * operation's name, from the generated src/functions/operations.callables.ts. (The built manifest
 * is checked once more by scripts/check-cold-start.cjs, as deploy-time discovery reads it.)
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const generator = require('../../scripts/generate-callables.cjs') as {
  OUTPUT: string;
  collectCallables(
    ops: readonly unknown[],
    modules: { file: string; exports: object }[],
  ): { name: string; file: string; exportName: string; sendsNotifications: boolean }[];
  renderCallables(entries: unknown[]): string;
  operationModules(dir: string, ext: string): { file: string; exports: object }[];
};

interface Endpoint {
  callableTrigger?: object;
  secretEnvironmentVariables?: { key: string }[];
}

function loadIndex(): Record<string, { __endpoint?: Endpoint } | undefined> {
  let index: Record<string, { __endpoint?: Endpoint } | undefined> = {};
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    index = require('../../src/index') as typeof index;
  });
  return index;
}

// Prettier only moves whitespace and adds trailing commas: compare without either.
const normalized = (source: string) => source.replace(/\s+/g, '').replace(/,\)/g, ')');

describe('one callable per operation (generated from the registry)', () => {
  const modules = generator.operationModules(path.join(__dirname, '../../src/operations'), 'ts');

  it('the generated module is up to date (else: npm run callables:generate)', () => {
    const expected = generator.renderCallables(generator.collectCallables(operations, modules));
    expect(normalized(readFileSync(generator.OUTPUT, 'utf8'))).toBe(normalized(expected));
  });

  it('exports every operation as a callable of its name, with the secrets it sends with', () => {
    process.env.GCLOUD_PROJECT ??= 'demo-taskflow';
    const index = loadIndex();
    const missing = operations
      .filter((op) => index[op.name]?.__endpoint?.callableTrigger === undefined)
      .map((op) => op.name);
    expect(missing).toEqual([]);
    for (const op of operations) {
      const secrets = (index[op.name]?.__endpoint?.secretEnvironmentVariables ?? []).map(
        (s) => s.key,
      );
      expect({ op: op.name, secrets }).toEqual({
        op: op.name,
        secrets:
          op.sendsNotifications === true ? ['SENDGRID_API_KEY', 'UNSUBSCRIBE_SIGNING_KEY'] : [],
      });
    }
  });

  it('operation names are unique camelCase identifiers, callable names as deployed', () => {
    const names = operations.map((op) => op.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^[a-z][A-Za-z0-9]*$/);
  });

  it('camelCase callable fields: no snake_case field in any input or output shape', () => {
    const snake = operations.flatMap((op) =>
      [op.input, op.output].flatMap((schema) => {
        const shape = (schema as { shape?: Record<string, unknown> }).shape ?? {};
        return Object.keys(shape)
          .filter((key) => key.includes('_'))
          .map((key) => `${op.name}.${key}`);
      }),
    );
    expect(snake).toEqual([]);
  });

  it('REST keeps the contract’s snake_case names where it defines them (restNames)', () => {
    const byName = new Map(operations.map((op) => [op.name, restView(op)]));
    const keys = (name: string, side: 'input' | 'output') =>
      Object.keys((byName.get(name)?.[side] as { shape: object }).shape);
    expect(keys('listNotifications', 'input')).toContain('unread_only');
    expect(keys('listNotifications', 'input')).not.toContain('unreadOnly');
    expect(keys('notifyTaskAssignment', 'output')).toEqual(['success', 'message_id']);
    expect(keys('sendBulkNotification', 'output')).toContain('batch_id');
  });

  it('the generator refuses an operation that no module exports', () => {
    const stray = { ...operations[0], name: 'strayOperation' };
    expect(() => generator.collectCallables([stray], modules)).toThrow(/strayOperation/);
  });
});
