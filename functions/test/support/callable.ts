import { HttpsError } from 'firebase-functions/https';
import type { TestUser } from './auth';

/** What the Functions framework hands a callable after verifying `user`'s ID token. */
export function callableRequest(user: TestUser | null, data: unknown): never {
  return {
    data,
    ...(user ? { auth: { uid: user.uid, token: { uid: user.uid } } } : {}),
    rawRequest: { header: () => undefined },
  } as never;
}

/** The HttpsError code a callable failed with, or 'ok'. */
export async function httpsErrorCode(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => 'ok',
    (err: unknown) => err,
  );
  return e instanceof HttpsError ? e.code : String(e);
}
