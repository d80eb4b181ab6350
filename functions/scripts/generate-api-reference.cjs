#!/usr/bin/env node
// `npm run docs:api`: renders the OpenAPI document (src/http/openapi.ts over the operation
// registry) to docs/api-reference.md, and rewrites the generated callable list of the README's
// map of functions between its markers. test/unit/api-reference.test.ts fails while either is
// stale.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

require('./require-typescript.cjs').registerTypeScript();
const { renderApiReference, updateReadme } = require('./api-reference.ts');
const { operations } = require('../src/operations/registry.ts');
const { buildOpenApiDocument } = require('../src/http/openapi.ts');

const REPO = path.resolve(__dirname, '..', '..');
const REFERENCE = path.join(REPO, 'docs', 'api-reference.md');
const README = path.join(REPO, 'README.md');
const callables = new Set(operations.map((op) => op.name));
fs.writeFileSync(REFERENCE, renderApiReference(buildOpenApiDocument(operations), callables));
fs.writeFileSync(README, updateReadme(fs.readFileSync(README, 'utf8'), operations));
process.stdout.write(`docs/api-reference.md and README.md: ${operations.length} operations\n`);
