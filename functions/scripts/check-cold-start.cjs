#!/usr/bin/env node
// Cold start check, on the built code in a fresh Node process (jest's module registry cannot show
// what a real `require` loads): loading lib/index.js must not load the heavy modules — Express,
// zod, the Firestore client, the OpenAPI generator — which each function loads on its first
// invocation instead. Prints the load time (informational; timing is not asserted).
'use strict';
const path = require('node:path');

const HEAVY =
  /node_modules\/(express|zod|@google-cloud\/firestore|@asteasolutions\/zod-to-openapi|@sendgrid)\//;
const started = process.hrtime.bigint();
const index = require(path.join(__dirname, '..', 'lib', 'index.js'));
const ms = Number(process.hrtime.bigint() - started) / 1e6;
const loaded = Object.keys(require.cache).filter((file) => HEAVY.test(file));
const names = Object.keys(index);
if (loaded.length > 0) {
  const packages = [...new Set(loaded.map((f) => HEAVY.exec(f)[1]))];
  process.stderr.write(`cold start: lib/index.js loads ${packages.join(', ')} at module load\n`);
  process.exit(1);
}
process.stdout.write(
  `cold start: lib/index.js (${names.length} functions) loaded in ${ms.toFixed(0)} ms without ` +
    'express, zod, the Firestore client or the OpenAPI generator\n',
);
