#!/usr/bin/env node
// Long fuzz runs: `npm run fuzz -- --runs N [--seed S]` runs the property-based suite
// (test/integration/fuzz.test.ts) with N runs per operation and door instead of the small budget
// `npm test` gives it, and prints the figures (requests, duration) at the end.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

function option(name) {
  const args = process.argv.slice(2);
  const i = args.indexOf(`--${name}`);
  if (i >= 0) return args[i + 1];
  const inline = args.find((a) => a.startsWith(`--${name}=`));
  return inline === undefined ? undefined : inline.slice(name.length + 3);
}

const runs = Number(option('runs') ?? '100');
const seed = option('seed');
if (!Number.isInteger(runs) || runs < 1) {
  process.stderr.write('usage: npm run fuzz -- --runs N [--seed S]\n');
  process.exit(2);
}
const started = Date.now();
const result = spawnSync(
  process.execPath,
  [
    require.resolve('jest/bin/jest'),
    // The path first: --selectProjects takes every argument after it as a project name.
    'test/integration/fuzz.test.ts',
    '--selectProjects=integration',
  ],
  {
    cwd: path.join(__dirname, '..'),
    stdio: 'inherit',
    env: {
      ...process.env,
      FUZZ_RUNS: String(runs),
      ...(seed === undefined ? {} : { FUZZ_SEED: seed }),
    },
  },
);
const seconds = ((Date.now() - started) / 1000).toFixed(0);
process.stdout.write(
  `fuzz: ${runs} runs per operation and door, ${seconds} s, exit ${result.status}\n`,
);
process.exit(result.status ?? 1);
