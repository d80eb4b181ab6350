#!/usr/bin/env node
// Part of `npm run build`, before tsc: deletes from lib/ the output of every module that no longer
// exists in src/ (tsc never removes what it emitted once), so a module moved out of src/ — a test
// fake, a development tool — cannot linger in lib/ and be deployed. `npm run test:artifact` checks it.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const FUNCTIONS_DIR = path.resolve(__dirname, '..');
const LIB = path.join(FUNCTIONS_DIR, 'lib');
const SRC = path.join(FUNCTIONS_DIR, 'src');
const OUTPUT = /\.(js|js\.map|d\.ts|d\.ts\.map)$/;

/** The src/ module a lib/ file was emitted from (`a/b.js.map` → `a/b.ts`). */
const sourceOf = (rel) => rel.replace(OUTPUT, '.ts');

function prune(rel) {
  const dir = path.join(LIB, rel);
  let removed = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const child = path.join(rel, entry.name);
    if (entry.isDirectory()) {
      removed += prune(child);
      if (fs.readdirSync(path.join(LIB, child)).length === 0) fs.rmdirSync(path.join(LIB, child));
    } else if (OUTPUT.test(entry.name) && !fs.existsSync(path.join(SRC, sourceOf(child)))) {
      fs.rmSync(path.join(LIB, child));
      removed++;
    }
  }
  return removed;
}

if (require.main === module && fs.existsSync(LIB)) {
  const removed = prune('');
  if (removed > 0) process.stdout.write(`prune-lib: removed ${removed} stale files from lib/\n`);
}

module.exports = { sourceOf };
