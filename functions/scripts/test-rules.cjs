#!/usr/bin/env node
// Runs the Firestore security-rules tests (test/rules/*.rules.test.ts): `npm run test:rules`, the
// last step of `npm test`. They need the official Cloud Firestore emulator (the embedded
// @firestore-emulator/server speaks gRPC only and evaluates no rules), found in this order:
//   1. FIRESTORE_EMULATOR_HOST names it (`GET /` answers "Ok" and it has the rules endpoint);
//   2. Java 21+ on PATH: `firebase emulators:exec --only firestore` starts it (firebase-tools
//      downloads it once) and runs this script again inside, which then takes 1.;
//   3. the Google Cloud CLI's copy of the same emulator (Debian package
//      google-cloud-cli-firestore-emulator, which runs on Java 11+): started on free loopback
//      ports for the run, then stopped;
//   4. none: print SKIPPED and exit 0 (exit 1 instead when TASKFLOW_REQUIRE_RULES_TESTS=1, as in
//      .github/workflows/ci.yml, so that CI cannot pass without them).
// First, in every case, it prints the number of rules tests and checks firestore.rules offline:
// firebase-tools has no local rules compiler (it compiles in the emulator or remotely), so this
// is a structural check, and it exits 1 when it fails. With an emulator, the emulator then
// compiles the rules, and any error or warning it reports fails the run before jest starts.
// Extra arguments go to jest: `npm run test:rules -- -t profile`. With `--suite=client` it runs
// the client-SDK suite (test/client, jest.client.config.js) against the emulator found the same way
// (`npm run test:client`).
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const FUNCTIONS_DIR = path.resolve(__dirname, '..');
const REPO_ROOT = path.resolve(FUNCTIONS_DIR, '..');
const RULES_FILE = path.join(REPO_ROOT, 'firestore.rules');
// What runs against the emulator: the rules tests, or with `--suite=client` the client-SDK suite
// (test/client, `npm run test:client`), which needs the same official emulator.
const SUITES = {
  rules: {
    dir: 'rules',
    suffix: '.rules.test.ts',
    config: 'jest.rules.config.js',
    label: 'security-rules tests',
  },
  client: {
    dir: 'client',
    suffix: '.client.test.ts',
    config: 'jest.client.config.js',
    label: 'client SDK tests',
  },
};
const SUITE_ARG =
  process.argv.slice(2).find((arg) => arg.startsWith('--suite=')) ?? '--suite=rules';
const SUITE = SUITES[SUITE_ARG.slice('--suite='.length)];
if (SUITE === undefined) throw new Error(`unknown ${SUITE_ARG} (rules or client)`);
const TESTS_DIR = path.join(FUNCTIONS_DIR, 'test', SUITE.dir);
const JEST_CONFIG = path.join(FUNCTIONS_DIR, SUITE.config);
const PROJECT_ID = 'demo-taskflow-rules';
const MIN_JAVA = 21;
// Set for the copy of this script that firebase emulators:exec runs (branch 2 below).
const UNDER_EXEC = 'TASKFLOW_RULES_UNDER_EMULATORS_EXEC';
// The Google Cloud CLI's emulator jar is built for Java 11.
const MIN_JAVA_GCLOUD = 11;
// Characters a literal path segment may hold besides letters, digits, '_' and '.'.
const PATH_CHARS = ['-', '~', '%', '+', '@', ':', '$'];
const ALLOW_METHODS = new Set(['read', 'write', 'get', 'list', 'create', 'update', 'delete']);

/** Test files under test/rules and the number of `it(`/`test(` call sites in them. */
function countRulesTests() {
  const files = [];
  const walk = (dir) => {
    if (!fs.existsSync(dir)) return;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith(SUITE.suffix)) files.push(full);
    }
  };
  walk(TESTS_DIR);
  let cases = 0;
  for (const file of files) {
    // Prettier starts every `it(`/`test(` call on a line of its own.
    const calls = fs
      .readFileSync(file, 'utf8')
      .match(/^\s*(?:it|test)(?:\.(?:only|skip|failing|concurrent))?\s*\(/gm);
    cases += calls?.length ?? 0;
  }
  return { files, cases };
}

/**
 * Splits the rules source into tokens: words, strings, single punctuation characters. Comments
 * and whitespace are dropped; each token keeps its line.
 */
function tokenize(source) {
  const tokens = [];
  const problems = [];
  let line = 1;
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    if (c === '\n') {
      line += 1;
      i += 1;
    } else if (/\s/.test(c)) {
      i += 1;
    } else if (source.startsWith('//', i)) {
      while (i < source.length && source[i] !== '\n') i += 1;
    } else if (source.startsWith('/*', i)) {
      const end = source.indexOf('*/', i + 2);
      if (end === -1) {
        problems.push({ line, message: 'unterminated /* comment' });
        break;
      }
      line += source.slice(i, end).split('\n').length - 1;
      i = end + 2;
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < source.length && source[j] !== c && source[j] !== '\n') {
        j += source[j] === '\\' ? 2 : 1;
      }
      if (source[j] !== c) {
        problems.push({ line, message: `unterminated string starting with ${c}` });
        i = j;
      } else {
        tokens.push({ type: 'string', value: source.slice(i + 1, j), line, start: i, end: j + 1 });
        i = j + 1;
      }
    } else if (/[\w.]/.test(c)) {
      let j = i;
      while (j < source.length && /[\w.]/.test(source[j])) j += 1;
      tokens.push({ type: 'word', value: source.slice(i, j), line, start: i, end: j });
      i = j;
    } else {
      tokens.push({ type: 'punct', value: c, line, start: i, end: i + 1 });
      i += 1;
    }
  }
  return { tokens, problems };
}

/** Every (, [ and { closed by its own kind, in order. */
function checkBalance(tokens) {
  const problems = [];
  const pairs = { ')': '(', ']': '[', '}': '{' };
  const stack = [];
  for (const token of tokens) {
    if (token.type !== 'punct') continue;
    if ('([{'.includes(token.value)) stack.push(token);
    else if (token.value in pairs) {
      const open = stack.pop();
      if (open === undefined) {
        problems.push({ line: token.line, message: `'${token.value}' closes nothing` });
      } else if (open.value !== pairs[token.value]) {
        problems.push({
          line: token.line,
          message: `'${token.value}' closes '${open.value}' opened on line ${open.line}`,
        });
      }
    }
  }
  for (const open of stack) {
    problems.push({ line: open.line, message: `'${open.value}' is never closed` });
  }
  return problems;
}

/**
 * Reads the statement structure of a balanced token list:
 *   rules_version = '2'; service cloud.firestore { match /databases/{db}/documents { ... } }
 * where a match block holds match blocks, functions and `allow <methods>[: if <expr>];`.
 * Function bodies and conditions are skipped, not parsed.
 */
function checkStructure(tokens) {
  const problems = [];
  const stats = { matches: 0, allows: 0, functions: 0 };
  let i = 0;
  const peek = () => tokens[i];
  const lineOf = (token) => (token ?? tokens[tokens.length - 1] ?? { line: 1 }).line;
  const show = (token) => (token === undefined ? 'end of file' : `'${token.value}'`);
  const fail = (message, token = peek()) => {
    throw Object.assign(new Error(message), { line: lineOf(token) });
  };
  const is = (value, token = peek()) => token !== undefined && token.value === value;
  const expect = (value, what = `'${value}'`) => {
    if (!is(value)) fail(`expected ${what}, found ${show(peek())}`);
    return tokens[i++];
  };

  // Skips to the token after the `}` that closes the `{` at `i` (input is balanced).
  const skipBlock = () => {
    let depth = 0;
    do {
      if (is('{')) depth += 1;
      else if (is('}')) depth -= 1;
      i += 1;
    } while (depth > 0 && i < tokens.length);
  };

  // `/literal/{wildcard}/{rest=**}`: contiguous tokens (no spaces inside), up to the block's `{`.
  const contiguous = () => peek() !== undefined && peek().start === tokens[i - 1].end;
  const parseMatchPath = (matchToken) => {
    const segments = [];
    if (!is('/')) fail(`match path must start with '/', found ${show(peek())}`);
    i += 1;
    for (;;) {
      if (!contiguous()) fail('empty segment in match path');
      if (is('{')) {
        i += 1;
        const name = peek();
        if (!contiguous() || name.type !== 'word' || !/^[A-Za-z_]\w*$/.test(name.value)) {
          fail(`wildcard needs a name, found ${show(name)}`);
        }
        i += 1;
        let recursive = false;
        if (contiguous() && is('=')) {
          i += 1;
          for (let star = 0; star < 2; star += 1) {
            if (!contiguous() || !is('*')) fail(`expected '=**' in {${name.value}=**}`);
            i += 1;
          }
          recursive = true;
        }
        if (!contiguous() || !is('}')) fail(`expected '}' closing the wildcard {${name.value}`);
        i += 1;
        segments.push({ wildcard: name.value, recursive });
      } else {
        let literal = '';
        while (contiguous() && (peek().type === 'word' || PATH_CHARS.includes(peek().value))) {
          literal += tokens[i].value;
          i += 1;
        }
        if (literal === '') fail(`unexpected ${show(peek())} in match path`);
        segments.push({ literal });
      }
      if (!(contiguous() && is('/'))) break;
      i += 1;
    }
    segments.forEach((segment, index) => {
      if (segment.recursive && index !== segments.length - 1) {
        fail(`recursive wildcard {${segment.wildcard}=**} must be the last segment`, matchToken);
      }
    });
    return segments;
  };

  const parseFunction = () => {
    i += 1;
    const name = peek();
    if (name?.type !== 'word') fail(`function needs a name, found ${show(name)}`);
    i += 1;
    expect('(');
    while (!is(')')) {
      if (peek()?.type !== 'word') fail(`expected a parameter name, found ${show(peek())}`);
      i += 1;
      if (is(',')) i += 1;
      else if (!is(')')) fail(`expected ',' or ')', found ${show(peek())}`);
    }
    i += 1;
    if (!is('{')) fail(`expected '{' opening the body of ${name.value}, found ${show(peek())}`);
    const start = i;
    skipBlock();
    if (!tokens.slice(start, i).some((t) => t.value === 'return')) {
      fail(`function ${name.value} has no return`, name);
    }
    stats.functions += 1;
  };

  const parseAllow = () => {
    const allow = tokens[i++];
    for (;;) {
      const method = peek();
      if (method?.type !== 'word' || !ALLOW_METHODS.has(method.value)) {
        fail(`unknown allow method ${show(method)} (one of ${[...ALLOW_METHODS].join(', ')})`);
      }
      i += 1;
      if (!is(',')) break;
      i += 1;
    }
    if (is(':')) {
      i += 1;
      expect('if', "'if' after ':'");
      const start = i;
      let depth = 0;
      while (i < tokens.length && !(depth === 0 && (is(';') || is('}')))) {
        if (is('(') || is('[') || is('{')) depth += 1;
        if (is(')') || is(']') || is('}')) depth -= 1;
        i += 1;
      }
      if (i === start) fail("empty condition after 'if'");
    }
    if (!is(';')) fail(`expected ';' ending the allow statement of line ${allow.line}`);
    i += 1;
    stats.allows += 1;
  };

  const parseMatch = (underService) => {
    const matchToken = tokens[i++];
    const segments = parseMatchPath(matchToken);
    if (underService) {
      const [first, second, third] = segments;
      if (
        segments.length !== 3 ||
        first.literal !== 'databases' ||
        second.wildcard === undefined ||
        second.recursive ||
        third.literal !== 'documents'
      ) {
        fail('a top-level match must be /databases/{database}/documents', matchToken);
      }
    }
    if (!is('{')) fail(`expected '{' opening the match block, found ${show(peek())}`);
    i += 1;
    stats.matches += 1;
    parseBody(false);
  };

  // The statements of a service (underService) or match block, up to and including its `}`.
  const parseBody = (underService) => {
    for (;;) {
      if (peek() === undefined) fail("missing '}'");
      if (is('}')) {
        i += 1;
        return;
      }
      if (is('match')) parseMatch(underService);
      else if (is('function')) parseFunction();
      else if (is('allow') && !underService) parseAllow();
      else
        fail(
          `unexpected ${show(peek())}: expected match, function${underService ? '' : ' or allow'}`,
        );
    }
  };

  try {
    const version = peek();
    if (!is('rules_version')) {
      fail(`must start with rules_version = '2'; found ${show(version)}`);
    }
    i += 1;
    expect('=');
    if (peek()?.type !== 'string' || peek().value !== '2') {
      fail(`rules_version must be '2', found ${show(peek())}`);
    }
    i += 1;
    expect(';', "';' after rules_version");
    let services = 0;
    while (peek() !== undefined) {
      expect('service', "'service'");
      if (!is('cloud.firestore')) fail(`expected service cloud.firestore, found ${show(peek())}`);
      i += 1;
      expect('{', "'{' opening the service block");
      parseBody(true);
      services += 1;
    }
    if (services !== 1) fail(`expected one service cloud.firestore block, found ${services}`);
    if (stats.matches === 0) fail('no match block: every request would be denied');
  } catch (error) {
    if (error.line === undefined) throw error;
    problems.push({ line: error.line, message: error.message });
  }
  return { problems, stats };
}

/** Checks a rules file without an emulator. Returns { ok, summary } or { ok, problems }. */
function checkRulesFile(file = RULES_FILE) {
  if (!fs.existsSync(file)) {
    return { ok: false, problems: [{ line: undefined, message: `${file} not found` }] };
  }
  const source = fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  if (!/^rules_version\s*=\s*'2'\s*;/.test(source)) {
    return {
      ok: false,
      problems: [{ line: 1, message: "the file must start with rules_version = '2';" }],
    };
  }
  const { tokens, problems: lexical } = tokenize(source);
  const unbalanced = checkBalance(tokens);
  if (lexical.length > 0 || unbalanced.length > 0) {
    return { ok: false, problems: [...lexical, ...unbalanced] };
  }
  const { problems, stats } = checkStructure(tokens);
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    summary:
      `${stats.matches} match blocks, ${stats.allows} allow statements, ` +
      `${stats.functions} functions`,
  };
}

/** Whether `host` (host:port) answers `GET /` with "Ok", as the official emulator does. */
async function answersOk(host) {
  try {
    const res = await fetch(`http://${host}/`, { signal: AbortSignal.timeout(3000) });
    return res.ok && (await res.text()).trim() === 'Ok';
  } catch {
    return false;
  }
}

/**
 * Asks the emulator at `host` to compile firestore.rules for the tests' project, as the tests do
 * first. Resolves to undefined when `host` is not the official emulator (its root does not answer
 * "Ok", or it has no rules endpoint: the embedded server), else to the compiler's errors and
 * warnings (empty when the rules compile cleanly).
 */
async function compileRules(host) {
  if (!(await answersOk(host))) return undefined;
  let res;
  try {
    res = await fetch(`http://${host}/emulator/v1/projects/${PROJECT_ID}:securityRules`, {
      method: 'PUT',
      body: JSON.stringify({
        rules: { files: [{ content: fs.readFileSync(RULES_FILE, 'utf8') }] },
      }),
      signal: AbortSignal.timeout(30_000),
    });
  } catch {
    return undefined;
  }
  const text = await res.text();
  if (res.status === 400) {
    // {"error":{"message":"Error compiling rules:\nL40:1 missing '}' at '<EOF>'", ...}}
    let message = text;
    try {
      message = JSON.parse(text).error.message;
    } catch {
      /* not JSON: keep the text */
    }
    return message.split('\n').filter((line) => line !== '' && !/^Error compiling/.test(line));
  }
  if (!res.ok) return undefined;
  // {"issues":[{"sourcePosition":{"line":20,...},"description":"...","severity":"WARNING"}]}
  let issues = [];
  try {
    issues = JSON.parse(text).issues ?? [];
  } catch {
    /* no issues */
  }
  return issues.map(
    ({ sourcePosition: at = {}, description, severity }) =>
      `L${at.line ?? '?'}:${at.column ?? '?'} ${severity ?? 'ISSUE'}: ${description}`,
  );
}

/**
 * Runs the rules tests against the official emulator at `host` if compileRules found no problems
 * there; else prints them and fails.
 */
function testAgainst(host, problems, jestArgs, env = process.env) {
  if (problems === undefined) {
    console.error(`FAILED: the Firestore emulator at ${host} would not load the rules.`);
    return 1;
  }
  if (problems.length > 0) {
    for (const problem of problems) console.error(`firestore.rules: ${problem}`);
    console.error(`FAILED: the emulator's rules compiler reports ${problems.length} problem(s).`);
    return 1;
  }
  console.log(`firestore.rules: compiled cleanly by the emulator; running the tests at ${host}.`);
  const jest = require.resolve('jest/bin/jest', { paths: [FUNCTIONS_DIR] });
  return run(process.execPath, [jest, '-c', JEST_CONFIG, ...jestArgs], {
    cwd: FUNCTIONS_DIR,
    env: { ...env, FIRESTORE_EMULATOR_HOST: host },
  });
}

/** The major version of `java` on PATH (8 for 1.8), or undefined when there is none. */
function javaMajorVersion() {
  const result = spawnSync('java', ['-Duser.language=en', '-Dfile.encoding=UTF-8', '-version'], {
    encoding: 'utf8',
  });
  if (result.error !== undefined) return undefined;
  const match = /version "(\d+)(?:\.(\d+))?/.exec(`${result.stderr}\n${result.stdout}`);
  if (match === null) return undefined;
  const major = Number(match[1]);
  return major === 1 && match[2] !== undefined ? Number(match[2]) : major;
}

/** Runs a command with inherited stdio; resolves to its exit code. */
function run(command, args, options) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'inherit', ...options });
    child.once('error', (error) => {
      console.error(`test-rules: could not start ${command}: ${error.message}`);
      resolve(1);
    });
    child.once('exit', (code, signal) => resolve(signal === null ? (code ?? 1) : 1));
  });
}

const shellQuote = (arg) => (/^[\w./:=@-]+$/.test(arg) ? arg : JSON.stringify(arg));

/** A TCP port that was free a moment ago on loopback. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * The launcher of the Google Cloud CLI's Firestore emulator, when the CLI (found as
 * CLOUDSDK_ROOT_DIR or as `gcloud` on PATH) has the cloud-firestore-emulator component.
 */
function gcloudFirestoreEmulator() {
  let root = process.env.CLOUDSDK_ROOT_DIR;
  if (root === undefined || root === '') {
    const gcloud = (process.env.PATH ?? '')
      .split(path.delimiter)
      .filter((dir) => dir !== '')
      .map((dir) => path.join(dir, 'gcloud'))
      .find((file) => fs.existsSync(file));
    if (gcloud === undefined) return undefined;
    root = path.dirname(path.dirname(fs.realpathSync(gcloud)));
  }
  const launcher = path.join(
    root,
    'platform',
    'cloud-firestore-emulator',
    'cloud_firestore_emulator',
  );
  return fs.existsSync(launcher) ? launcher : undefined;
}

/**
 * Starts the Google Cloud CLI's Firestore emulator on free loopback ports, in its own process
 * group (the launcher is a shell script that forks java). Resolves to { host, stop() } once its
 * root answers "Ok"; rejects with its output if it exits, is not ready within a minute, or
 * `interrupted()` turns true.
 */
async function startGcloudEmulator(launcher, interrupted) {
  const [port, websocketPort] = [await freePort(), await freePort()];
  const host = `127.0.0.1:${port}`;
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-rules-'));
  const child = spawn(
    launcher,
    ['start', '--host=127.0.0.1', `--port=${port}`, `--websocket_port=${websocketPort}`],
    { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (d) => (output += d.toString()));
  child.stderr.on('data', (d) => (output += d.toString()));
  let exited = false;
  child.once('exit', () => (exited = true));
  child.once('error', (error) => {
    exited = true;
    output += error.message;
  });
  const alive = () => {
    try {
      process.kill(-child.pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const kill = (signal) => {
    try {
      process.kill(-child.pid, signal);
    } catch {
      /* already gone */
    }
  };
  // Never leave the emulator behind, whatever ends this process.
  const killOnExit = () => kill('SIGKILL');
  process.once('exit', killOnExit);
  const stop = async () => {
    if (child.pid !== undefined) {
      kill('SIGTERM');
      for (let waited = 0; alive() && waited < 5000; waited += 100) {
        await new Promise((r) => setTimeout(r, 100));
      }
      kill('SIGKILL');
    }
    process.removeListener('exit', killOnExit);
    fs.rmSync(cwd, { recursive: true, force: true });
  };

  const deadline = Date.now() + 60_000;
  while (!(await answersOk(host))) {
    if (exited || interrupted() || Date.now() > deadline) {
      const why = exited
        ? 'exited before it was ready'
        : interrupted()
          ? 'was interrupted while starting'
          : 'was not ready within 60 s';
      await stop();
      throw new Error(
        `the Firestore emulator ${why}${output.trim() ? `:\n${output.trim()}` : '.'}`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { host, stop };
}

async function main() {
  const jestArgs = process.argv.slice(2).filter((arg) => !arg.startsWith('--suite='));
  const { files, cases } = countRulesTests();
  const relativeTests = path.relative(FUNCTIONS_DIR, TESTS_DIR).split(path.sep).join('/');
  const label = SUITE.label[0].toUpperCase() + SUITE.label.slice(1);
  console.log(`${label}: ${cases} test cases in ${files.length} files (${relativeTests}).`);

  const checked = checkRulesFile();
  if (!checked.ok) {
    for (const { line, message } of checked.problems) {
      console.error(`firestore.rules${line === undefined ? '' : `:${line}`}: ${message}`);
    }
    console.error('FAILED: firestore.rules does not pass the offline check.');
    return 1;
  }
  console.log(
    `firestore.rules: offline structure check passed (${checked.summary}); ` +
      'the rules compiler itself runs only in the emulator.',
  );

  // 1. An official emulator is already running.
  const given = process.env.FIRESTORE_EMULATOR_HOST;
  if (given !== undefined && given !== '') {
    const problems = await compileRules(given);
    if (problems !== undefined) {
      console.log(`Using the official Firestore emulator at ${given}.`);
      return testAgainst(given, problems, jestArgs);
    }
    console.log(
      `FIRESTORE_EMULATOR_HOST=${given} is not the official Firestore emulator ` +
        '(it does not answer "Ok" or has no rules endpoint): it cannot evaluate security rules.',
    );
  }
  if (process.env[UNDER_EXEC] === '1') {
    console.error('FAILED: firebase emulators:exec started no usable Firestore emulator.');
    return 1;
  }
  const env = { ...process.env, NO_UPDATE_NOTIFIER: '1' };
  delete env.FIRESTORE_EMULATOR_HOST;
  delete env.FIREBASE_EMULATOR_HUB;

  // 2. firebase-tools can start one (it needs Java 21+): it runs this script again inside.
  const java = javaMajorVersion();
  if (java !== undefined && java >= MIN_JAVA) {
    console.log(
      `Java ${java}: running them under firebase emulators:exec --only firestore ` +
        `--project ${PROJECT_ID}.`,
    );
    const firebase = path.join(FUNCTIONS_DIR, 'node_modules/firebase-tools/lib/bin/firebase.js');
    const script = [process.execPath, __filename, SUITE_ARG, ...jestArgs].map(shellQuote).join(' ');
    return run(
      process.execPath,
      [firebase, 'emulators:exec', '--only', 'firestore', '--project', PROJECT_ID, script],
      { cwd: REPO_ROOT, env: { ...env, [UNDER_EXEC]: '1' } },
    );
  }

  // 3. The Google Cloud CLI has the same emulator, runnable on older Java.
  const launcher = gcloudFirestoreEmulator();
  if (launcher !== undefined && java !== undefined && java >= MIN_JAVA_GCLOUD) {
    console.log(`Java ${java}: starting the Google Cloud CLI's Firestore emulator (${launcher}).`);
    // The emulator runs in its own process group, which Ctrl-C does not reach: stay alive on
    // SIGINT/SIGTERM (jest gets them too and stops) so that it is always stopped below.
    let interrupted = false;
    const onSignal = () => {
      interrupted = true;
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      let emulator;
      try {
        emulator = await startGcloudEmulator(launcher, () => interrupted);
      } catch (error) {
        console.error(`FAILED: ${error.message}`);
        return interrupted ? 130 : 1;
      }
      try {
        const problems = await compileRules(emulator.host);
        return interrupted ? 130 : await testAgainst(emulator.host, problems, jestArgs, env);
      } finally {
        await emulator.stop();
      }
    } finally {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    }
  }

  // 4. Nothing can evaluate rules here.
  const found = java === undefined ? 'no java on PATH' : `found Java ${java}`;
  const gcloud =
    launcher === undefined
      ? "nor is the Google Cloud CLI's cloud-firestore-emulator installed"
      : `the Google Cloud CLI's cloud-firestore-emulator needs Java ${MIN_JAVA_GCLOUD}+`;
  const message =
    `${cases} ${SUITE.label} in ${relativeTests} were not run: they need the official ` +
    `Firestore emulator (Java ${MIN_JAVA}+; ${found}; ${gcloud}). They run in CI ` +
    '(.github/workflows/ci.yml) under "firebase emulators:exec --only firestore".';
  if (process.env.TASKFLOW_REQUIRE_RULES_TESTS === '1') {
    console.error(`FAILED: ${message} TASKFLOW_REQUIRE_RULES_TESTS=1 forbids skipping them.`);
    return 1;
  }
  console.log(`SKIPPED: ${message}`);
  return 0;
}

if (require.main === module) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}

module.exports = {
  checkRulesFile,
  countRulesTests,
  gcloudFirestoreEmulator,
  compileRules,
  javaMajorVersion,
};
