import { randomUUID } from 'node:crypto';
import { getApps, initializeApp } from 'firebase-admin/app';
import { getAuth, type Auth } from 'firebase-admin/auth';
import { AUTH_PROJECT_ID } from './auth-emulator';

/** The Admin SDK's Auth for the emulator's project (the same project tokens are minted for). */
export function testAuth(): Auth {
  const app =
    getApps().find((a) => a.name === 'auth') ??
    initializeApp({ projectId: AUTH_PROJECT_ID }, 'auth');
  return getAuth(app);
}

function emulator(): string {
  const host = process.env.FIREBASE_AUTH_EMULATOR_HOST;
  if (host === undefined) throw new Error('integration tests need the global setup');
  return `http://${host}/identitytoolkit.googleapis.com/v1`;
}

async function post<T>(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as T;
  if (!res.ok) throw new Error(`${url}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

export interface TestUser {
  uid: string;
  email: string;
  password: string;
  /** A real Firebase ID token minted by the Auth emulator. */
  idToken: string;
  /** `Authorization` header value. */
  bearer: string;
}

/** Signs in with email/password against the Auth emulator and returns a fresh ID token. */
export async function signIn(email: string, password: string): Promise<string> {
  const res = await post<{ idToken: string }>(
    `${emulator()}/accounts:signInWithPassword?key=fake-api-key`,
    {
      email,
      password,
      returnSecureToken: true,
    },
  );
  return res.idToken;
}

/**
 * Creates a user in the Auth emulator (optionally with the `admin` custom claim, optionally with
 * its email verified) and returns a real ID token for it, minted after those were set.
 */
export async function createTestUser(
  options: { admin?: boolean; verified?: boolean } = {},
): Promise<TestUser> {
  const email = `user-${randomUUID().slice(0, 12)}@taskflow.test`;
  const password = `pw-${randomUUID()}`;
  const created = await post<{ localId: string; idToken: string }>(
    `${emulator()}/accounts:signUp?key=fake-api-key`,
    { email, password, returnSecureToken: true },
  );
  let idToken = created.idToken;
  if (options.admin === true) {
    await testAuth().setCustomUserClaims(created.localId, { admin: true });
  }
  if (options.verified === true) {
    // As if the user had followed the verification link: the token then says email_verified.
    await testAuth().updateUser(created.localId, { emailVerified: true });
  }
  if (options.admin === true || options.verified === true) idToken = await signIn(email, password);
  return { uid: created.localId, email, password, idToken, bearer: `Bearer ${idToken}` };
}

/**
 * Makes every token issued to `uid` so far count as revoked. Sets `validSince` a minute ahead
 * instead of calling revokeRefreshTokens (which uses the current second) so the test does not
 * depend on the wall clock moving on.
 */
export async function revokeTokens(uid: string): Promise<void> {
  await post(
    `${emulator()}/projects/${AUTH_PROJECT_ID}/accounts:update`,
    { localId: uid, validSince: String(Math.floor(Date.now() / 1000) + 60) },
    { authorization: 'Bearer owner' },
  );
}
