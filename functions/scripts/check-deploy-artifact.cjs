#!/usr/bin/env node
// `npm run test:artifact` (part of `npm test`): builds the deploy artifact as `firebase deploy`
// and Cloud Build would, and proves it installs and loads without devDependencies.
//   1. copies functions/ minus the `ignore` globs of firebase.json (what the CLI uploads; lib/ must
//      be built first: `npm run build`, as the predeploy hook does);
//   1b. checks that the uploaded lib/ is the build of src/ and nothing else: no output of a module
//      src/ no longer has, and none of the development tools kept outside src/ (DEV_ONLY);
//   2. `npm ci --omit=dev` in the copy, lifecycle scripts on (Cloud Build runs `postinstall`);
//   3. checks that no devDependency was installed;
//   4. runs the SDK's own discovery (the firebase-functions binary with
//      FUNCTIONS_MANIFEST_OUTPUT_PATH, as firebase-tools does) and checks that the manifest lists
//      every export of lib/index.js in the REGION param's region, and declares every param of the codebase.
// The copy is deleted afterwards (TASKFLOW_KEEP_ARTIFACT=1 keeps it and prints where).
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const FUNCTIONS_DIR = path.resolve(__dirname, '..');
const ROOT_DIR = path.dirname(FUNCTIONS_DIR);
const firebaseJson = JSON.parse(fs.readFileSync(path.join(ROOT_DIR, 'firebase.json'), 'utf8'));
const source = firebaseJson.functions.find(
  (f) => path.resolve(ROOT_DIR, f.source) === FUNCTIONS_DIR,
);
/**
 * Development tools that must never be deployed: the recording FCM fake of the tests and benches
 * (test/support/recording-messaging.ts) and the outbox dump's MIME writer (scripts/outbox-files.ts).
 * The capture transports (infra/fcm/capture-messaging, infra/email/capture.mailer) do ship: they
 * are the `DELIVERY_TRANSPORT=capture` of a deployed or production-profile local run.
 */
const DEV_ONLY = ['infra/fcm/recording-messaging', 'infra/email/outbox-files'];
const { sourceOf } = require('./prune-lib.cjs');

const log = (message) => process.stdout.write(`[artifact] ${message}\n`);
const fail = (message) => {
  process.stderr.write(`[artifact] FAILED: ${message}\n`);
  process.exit(1);
};

/** A firebase.json ignore glob (`*` within a name) as a test of a path relative to the source. */
function globTest(glob) {
  const re = new RegExp(
    '^' +
      glob
        .split('*')
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('[^/]*') +
      '$',
  );
  return (rel) => re.test(rel) || re.test(path.basename(rel));
}

function copySource(to) {
  const ignored = (source.ignore ?? []).map(globTest);
  const files = [];
  const walk = (rel) => {
    for (const entry of fs.readdirSync(path.join(FUNCTIONS_DIR, rel), { withFileTypes: true })) {
      const child = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (ignored.some((test) => test(child))) continue;
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile()) files.push(child);
    }
  };
  walk('');
  for (const rel of files) {
    fs.mkdirSync(path.dirname(path.join(to, rel)), { recursive: true });
    fs.copyFileSync(path.join(FUNCTIONS_DIR, rel), path.join(to, rel));
  }
  return files;
}

function run(cmd, args, options) {
  const started = Date.now();
  const result = spawnSync(cmd, args, { encoding: 'utf8', ...options });
  return { ...result, seconds: ((Date.now() - started) / 1000).toFixed(1) };
}

function main() {
  if (source === undefined) fail('firebase.json has no functions source for functions/');
  if (!fs.existsSync(path.join(FUNCTIONS_DIR, 'lib', 'index.js'))) {
    fail(
      'lib/index.js is missing: run `npm run build` first (firebase deploy runs it as predeploy)',
    );
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-artifact-'));
  try {
    const files = copySource(dir);
    const uploaded = new Set(files.map((f) => f.split('/')[0]));
    for (const needed of ['package.json', 'package-lock.json', 'lib']) {
      if (!uploaded.has(needed)) fail(`${needed} is not in the upload (firebase.json ignore)`);
    }
    for (const excluded of ['src', 'test', 'node_modules', '.secret.local']) {
      if (uploaded.has(excluded)) fail(`${excluded} would be uploaded (firebase.json ignore)`);
    }
    const lib = files.filter((f) => f.startsWith('lib/') && f.endsWith('.js'));
    const stale = lib.filter(
      (f) => !fs.existsSync(path.join(FUNCTIONS_DIR, 'src', sourceOf(f.slice(4)))),
    );
    if (stale.length > 0) fail(`lib/ holds output of modules not in src/: ${stale.join(', ')}`);
    const devOnly = DEV_ONLY.filter((m) => lib.includes(`lib/${m}.js`));
    if (devOnly.length > 0) fail(`development tools in the upload: ${devOnly.join(', ')}`);
    log(`lib/: ${lib.length} modules, all built from src/, none of ${DEV_ONLY.join(', ')}`);
    log(`upload: ${files.length} files (${[...uploaded].sort().join(', ')})`);

    const npmCli = process.env.npm_execpath;
    const npm = npmCli ? [process.execPath, npmCli] : ['npm'];
    const install = run(
      npm[0],
      [...npm.slice(1), 'ci', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline'],
      { cwd: dir, env: { ...process.env, NODE_ENV: 'production' } },
    );
    if (install.status !== 0) {
      process.stderr.write(install.stdout + install.stderr);
      fail(`npm ci --omit=dev failed (exit ${install.status})`);
    }
    // The lockfile marks every package that only devDependencies need (`dev: true`).
    const lock = JSON.parse(fs.readFileSync(path.join(dir, 'package-lock.json'), 'utf8'));
    const present = Object.entries(lock.packages ?? {})
      .filter(([p, meta]) => p.startsWith('node_modules/') && meta.dev === true)
      .map(([p]) => p)
      .filter((p) => fs.existsSync(path.join(dir, p)));
    if (present.length > 0) fail(`dev-only packages installed: ${present.slice(0, 10).join(', ')}`);
    const installed = fs
      .readdirSync(path.join(dir, 'node_modules'))
      .flatMap((n) =>
        n.startsWith('@')
          ? fs.readdirSync(path.join(dir, 'node_modules', n)).map((m) => `${n}/${m}`)
          : [n],
      )
      .filter((n) => !n.startsWith('.')).length;
    log(
      `npm ci --omit=dev: ${installed} top-level packages in ${install.seconds} s, none dev-only`,
    );

    const manifestPath = path.join(dir, 'manifest.json');
    const discovery = run(
      process.execPath,
      [path.join(dir, 'node_modules/firebase-functions/lib/bin/firebase-functions.js'), dir],
      {
        cwd: dir,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          GCLOUD_PROJECT: 'taskflow-artifact-check',
          FUNCTIONS_CONTROL_API: 'true',
          FUNCTIONS_MANIFEST_OUTPUT_PATH: manifestPath,
        },
      },
    );
    if (discovery.status !== 0 || !fs.existsSync(manifestPath)) {
      process.stderr.write(discovery.stdout + discovery.stderr);
      fail(`discovery failed (exit ${discovery.status})`);
    }
    const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
    const exported = run(
      process.execPath,
      ['-e', 'process.stdout.write(JSON.stringify(Object.keys(require("./lib/index.js"))))'],
      { cwd: dir, env: { PATH: process.env.PATH, GCLOUD_PROJECT: 'taskflow-artifact-check' } },
    );
    if (exported.status !== 0) {
      process.stderr.write(exported.stderr);
      fail('lib/index.js does not load in the artifact');
    }
    const names = JSON.parse(exported.stdout);
    const endpoints = manifest.endpoints ?? {};
    const missing = names.filter((n) => endpoints[n] === undefined);
    if (missing.length > 0) fail(`exports missing from the manifest: ${missing.join(', ')}`);
    // One region for everything: the REGION param (the Hosting rewrite names its default).
    const offRegion = Object.entries(endpoints)
      .filter(([, e]) => {
        const regions = Array.isArray(e.region) ? e.region : [e.region];
        return regions.length !== 1 || regions[0] !== '{{ params.REGION }}';
      })
      .map(([n]) => n);
    if (offRegion.length > 0) fail(`endpoints not in the REGION param: ${offRegion.join(', ')}`);
    const params = (manifest.params ?? []).map((p) => p.name);
    const declared = fs
      .readFileSync(path.join(FUNCTIONS_DIR, 'src/config/params.ts'), 'utf8')
      .matchAll(/define(?:String|Int|Boolean|Secret|List|Float)\(\s*'([A-Z0-9_]+)'/g);
    const notInManifest = [...declared].map((m) => m[1]).filter((n) => !params.includes(n));
    if (notInManifest.length > 0) {
      fail(`params declared but not in the manifest: ${notInManifest.join(', ')}`);
    }
    log(
      `discovery: ${Object.keys(endpoints).length} functions, ${params.length} params, ` +
        `loaded without devDependencies in ${discovery.seconds} s`,
    );
  } finally {
    if (process.env.TASKFLOW_KEEP_ARTIFACT === '1') log(`kept at ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  }
}

main();
