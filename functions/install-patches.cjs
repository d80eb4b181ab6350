#!/usr/bin/env node
// `postinstall`: applies patches/ with patch-package. Every patch there is for a devDependency
// (the embedded Firestore server of the tests and the local stack, and the Hosting emulator and
// its static-file server in the local stack), and patch-package is one too:
// a production install (`npm ci --omit=dev`, as Cloud Build runs it for a deploy) has neither, so
// there is nothing to patch and this exits 0 instead of failing the deploy.
// `npm run test:artifact` proves it on a copy of the deploy artifact.
'use strict';
const { spawnSync } = require('node:child_process');

let bin;
try {
  bin = require.resolve('patch-package/dist/index.js');
} catch {
  process.stdout.write('install-patches: devDependencies not installed, no patch to apply\n');
  process.exit(0);
}
const result = spawnSync(process.execPath, [bin], { stdio: 'inherit' });
process.exit(result.status ?? 1);
