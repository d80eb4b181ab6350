#!/usr/bin/env node
// `npm run docs:flutter`: rewrites the generated parts of docs/flutter.md (one section per
// callable from the operation registry, the client's Firestore queries from the query catalog)
// between their markers. test/unit/flutter-guide.test.ts fails while they are stale.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

require('./require-typescript.cjs').registerTypeScript();
const { updateGuide } = require('./flutter-guide.ts');
const { operations } = require('../src/operations/registry.ts');
const { CLIENT_QUERIES } = require('../src/domain/query-catalog.ts');

const GUIDE = path.resolve(__dirname, '..', '..', 'docs', 'flutter.md');
fs.writeFileSync(GUIDE, updateGuide(fs.readFileSync(GUIDE, 'utf8'), operations, CLIENT_QUERIES));
process.stdout.write(
  `docs/flutter.md: ${operations.length} callables, ${CLIENT_QUERIES.length} client queries\n`,
);
