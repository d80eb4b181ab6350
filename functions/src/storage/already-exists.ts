/** gRPC status ALREADY_EXISTS: what `create()` fails with when the document is there. */
const ALREADY_EXISTS = 6;

/**
 * Whether `e` is Firestore's answer to `create()` of a document that exists: the signal that an
 * earlier delivery of the same event (or an earlier attempt of the same request) made the claim.
 */
export function isAlreadyExists(e: unknown): boolean {
  return typeof e === 'object' && e !== null && 'code' in e && e.code === ALREADY_EXISTS;
}
