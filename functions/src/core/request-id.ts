/**
 * A client may pass its own request id (`X-Request-Id`, for tracing across services) if it looks
 * like one; anything else — too long, control characters, ill-formed Unicode — is replaced by a
 * fresh id, so a caller cannot forge log lines or bloat them. Both doors (REST and callable) use it.
 */
export const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/** `incoming` when it is an acceptable request id, else a fresh UUID. */
export function requestIdFrom(incoming: string | undefined): string {
  return incoming !== undefined && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
}
