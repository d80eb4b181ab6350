// What the scripts that drive a running local stack (`npm start`) share: where its emulators and
// API answer (overridable by the usual environment variables) and signing in as a demo user.
'use strict';

const PROJECT_ID = process.env.GCLOUD_PROJECT || 'demo-taskflow';
const FIRESTORE_HOST = process.env.FIRESTORE_EMULATOR_HOST || '127.0.0.1:8080';
const AUTH_HOST = process.env.FIREBASE_AUTH_EMULATOR_HOST || '127.0.0.1:9099';
const API = (process.env.TASKFLOW_API || 'http://127.0.0.1:5000/api').replace(/\/+$/, '');
const PASSWORD = 'taskflow-demo';

/** Signs in a demo user on the Auth emulator: `{ uid, idToken }`. */
async function signIn(email) {
  const url = `http://${AUTH_HOST}/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key=fake-api-key`;
  let res;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD, returnSecureToken: true }),
    });
  } catch {
    throw new Error(
      `the Auth emulator is not reachable at ${AUTH_HOST}: is \`npm start\` running?`,
    );
  }
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(`sign-in as ${email} failed: ${body.error?.message ?? res.status}`);
  return { uid: body.localId, idToken: body.idToken };
}

module.exports = { PROJECT_ID, FIRESTORE_HOST, AUTH_HOST, API, PASSWORD, signIn };
