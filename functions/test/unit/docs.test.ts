import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { operations } from '../../src/operations/registry';

/**
 * The docs state numbers about the code; this fails when one is stale or no longer stated, and
 * when a relative link of README.md or docs/*.md points at a file that does not exist.
 */
const REPO = path.join(__dirname, '../../..');
const FUNCTIONS = path.join(REPO, 'functions');
const read = (file: string): string => readFileSync(path.join(REPO, file), 'utf8');
const DOCS = readdirSync(path.join(REPO, 'docs'))
  .filter((name) => name.endsWith('.md'))
  .map((name) => `docs/${name}`);

// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS script
const { countRulesTests } = require('../../scripts/test-rules.cjs') as {
  countRulesTests: () => { files: string[]; cases: number };
};

/** The number in `text` right before `phrase` (`**53 operations**` → 53), or undefined. */
function statedBefore(text: string, phrase: string): number | undefined {
  const escaped = phrase.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`\\*\\*([0-9][0-9,]*) ${escaped}`).exec(text);
  return match?.[1] === undefined ? undefined : Number(match[1].replace(/,/g, ''));
}

function exportedFunctions(): string[] {
  let names: string[] = [];
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the deployed manifest
    names = Object.keys(require('../../src/index') as Record<string, unknown>);
  });
  return names;
}

/** Names of the params and secrets `src/config/params.ts` declares. */
function declaredParams(): string[] {
  const source = readFileSync(path.join(FUNCTIONS, 'src/config/params.ts'), 'utf8');
  return [...source.matchAll(/define(?:String|Int|Float|Boolean|List|Secret)\(\s*'([A-Z0-9_]+)'/g)]
    .map((m) => m[1] ?? '')
    .filter((name) => name !== '');
}

describe('numbers the docs state about the code', () => {
  const readme = read('README.md');

  it('the README states how many functions are exported, and names each one', () => {
    const functions = exportedFunctions();
    expect(statedBefore(readme, 'functions**')).toBe(functions.length);
    const missing = functions.filter((name) => !readme.includes(`| \`${name}\` |`));
    expect(missing).toEqual([]);
  });

  it('the README states how many operations the registry has', () => {
    expect(statedBefore(readme, 'operations**')).toBe(operations.length);
  });

  it('docs/configuration.md states how many params there are, and lists each one', () => {
    const params = declaredParams();
    expect(params.length).toBeGreaterThan(0);
    const configuration = read('docs/configuration.md');
    expect(statedBefore(configuration, 'params**')).toBe(params.length);
    expect(params.filter((name) => !configuration.includes(`\`${name}\``))).toEqual([]);
  });

  it('docs/testing.md states how many security-rules test cases and files there are', () => {
    const { files, cases } = countRulesTests();
    const testing = read('docs/testing.md');
    expect(statedBefore(testing, 'security-rules test cases in')).toBe(cases);
    expect(testing).toContain(
      `**${String(cases)} security-rules test cases in ${String(files.length)} files**`,
    );
  });
});

describe('links in README.md and docs/*.md', () => {
  it.each(['README.md', ...DOCS])(
    'every relative link of %s points at an existing file',
    (file) => {
      const text = read(file).replace(/```[\s\S]*?```/g, '');
      const broken = [...text.matchAll(/\]\(([^)\s]+)\)/g)]
        .map((m) => m[1] ?? '')
        .filter((target) => !/^[a-z]+:/i.test(target) && !target.startsWith('#'))
        .filter((target) => {
          const resolved = path.join(REPO, path.dirname(file), target.split('#')[0] ?? '');
          return (
            !existsSync(resolved) ||
            !(statSync(resolved).isFile() || statSync(resolved).isDirectory())
          );
        });
      expect(broken).toEqual([]);
    },
  );

  it('the README links every document of docs/', () => {
    const readme = read('README.md');
    expect(DOCS.filter((doc) => !readme.includes(`](${doc})`))).toEqual([]);
  });
});
