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

// What deploy-time discovery reads (the `__endpoint` manifest of each export): every function
// has one, and every operation of the registry is a callable of its name, with the notification
// secrets bound when it sends. (Loading the registry loads zod, so only after the check above.)
// The v1 auth triggers build theirs from the project id, which discovery provides.
process.env.GCLOUD_PROJECT ??= 'demo-taskflow';
const problems = [];
for (const name of names) {
  if (typeof index[name]?.__endpoint !== 'object') problems.push(`${name} has no __endpoint`);
}
const { operations } = require(path.join(__dirname, '..', 'lib', 'operations', 'registry.js'));
for (const op of operations) {
  const endpoint = index[op.name]?.__endpoint;
  if (endpoint?.callableTrigger === undefined) {
    problems.push(`operation ${op.name} is not exported as a callable of that name`);
    continue;
  }
  const secrets = (endpoint.secretEnvironmentVariables ?? []).map((s) => s.key);
  if (op.sendsNotifications === true && !secrets.includes('SENDGRID_API_KEY')) {
    problems.push(`callable ${op.name} sends notifications but binds no SENDGRID_API_KEY`);
  }
}
if (problems.length > 0) {
  process.stderr.write(`deploy manifest:\n  ${problems.join('\n  ')}\n`);
  process.exit(1);
}
const callables = names.filter((n) => index[n].__endpoint.callableTrigger !== undefined);
process.stdout.write(
  `deploy manifest: ${names.length} functions, ${callables.length} callables; each of the ` +
    `${operations.length} operations is one\n`,
);
