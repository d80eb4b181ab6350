import { isIP } from 'node:net';
import type { Request } from 'express';

/**
 * The client's address for per-IP limits.
 *
 * Each proxy appends the address that connected to it to `X-Forwarded-For`, so only the last
 * `hops` entries (counted from the socket) were written by infrastructure we trust; anything to
 * their left is whatever the client sent. On Cloud Functions (2nd gen, on Cloud Run) the Google
 * front end is one hop: `trustedHops` = 1 (`TRUST_PROXY_HOPS`).
 *
 * Behind the Firebase Hosting rewrite there is one hop more: Hosting's CDN (Fastly) appends the
 * client's address and sets `Fastly-Client-IP`, then the front end appends the edge's address.
 * The edge address is shared by everyone using that edge, so a request carrying
 * `Fastly-Client-IP` trusts one more hop and is keyed by the address Fastly appended. The value of
 * `Fastly-Client-IP` itself is never used: Fastly keeps one sent by the client.
 *
 * A caller that bypasses Hosting and sends `Fastly-Client-IP` itself can choose the entry it is
 * keyed by; the per-user limit after sign-in still holds for it. Without a forwarded address (a
 * local server, tests) the socket's address is the client.
 */
export function clientIp(req: Request, trustedHops: number): string {
  const socket = req.socket.remoteAddress ?? 'unknown';
  if (trustedHops <= 0) return normalise(socket);
  const header = req.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a !== '');
  // Nearest first: the socket, then each forwarded address from the right.
  const chain = [socket, ...forwarded.reverse()];
  const hops = trustedHops + (req.headers['fastly-client-ip'] === undefined ? 0 : 1);
  // The furthest address a trusted hop wrote; fewer entries than hops: the furthest there is.
  for (let i = Math.min(hops, chain.length - 1); i >= 0; i--) {
    const address = normalise(chain[i] ?? '');
    if (isIP(address) !== 0) return address;
  }
  return normalise(socket);
}

/** `::ffff:1.2.3.4` → `1.2.3.4`; `[::1]` and `1.2.3.4:5678` forms are stripped of port/brackets. */
function normalise(address: string): string {
  let a = address;
  if (a.startsWith('[')) a = a.slice(1, a.indexOf(']') === -1 ? undefined : a.indexOf(']'));
  else if (/^\d+\.\d+\.\d+\.\d+:\d+$/.test(a)) a = a.slice(0, a.lastIndexOf(':'));
  if (a.toLowerCase().startsWith('::ffff:') && isIP(a.slice(7)) === 4) a = a.slice(7);
  return a;
}
