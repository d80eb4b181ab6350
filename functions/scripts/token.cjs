#!/usr/bin/env node
// Prints a Firebase ID token for a user of the local Auth emulator, and nothing else on stdout, so
// it can be captured: TOKEN=$(npm --prefix functions run -s token -- bob@taskflow.test)
'use strict';

const DEMO_PASSWORD = 'taskflow-demo';
const IDENTITY_TOOLKIT = 'identitytoolkit.googleapis.com/v1';

async function main() {
  const [email, password = DEMO_PASSWORD] = process.argv.slice(2);
  if (email === undefined || email === '' || email.startsWith('-')) {
    throw new Error('usage: node scripts/token.cjs <email> [password]');
  }
  const host = process.env.FIREBASE_AUTH_EMULATOR_HOST || '127.0.0.1:9099';
  // The emulator accepts any API key; the request shape is the real Identity Toolkit one.
  const url = `http://${host}/${IDENTITY_TOOLKIT}/accounts:signInWithPassword?key=fake-api-key`;
  let res;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password, returnSecureToken: true }),
    });
  } catch (e) {
    const cause = e instanceof Error && e.cause instanceof Error ? e.cause.message : String(e);
    throw new Error(`Auth emulator not reachable at ${host} (${cause}); is the stack running?`);
  }
  const body = await res.json().catch(() => ({}));
  if (!res.ok || typeof body.idToken !== 'string') {
    const reason = body.error?.message ?? `HTTP ${res.status}`;
    throw new Error(`sign-in as ${email} failed: ${reason}`);
  }
  process.stdout.write(`${body.idToken}\n`);
}

main().catch((err) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});
