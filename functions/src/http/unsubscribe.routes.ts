import escapeHtml from 'escape-html';
import express, { type Request, type Response } from 'express';
import {
  applyUnsubscribe,
  isExpiredUnsubscribeLink,
  PREFERENCES_PATH,
  UNSUBSCRIBE_SCOPES,
  UNSUBSCRIBE_TOKEN_TTL_SECONDS,
  verifyUnsubscribeToken,
  type UnsubscribeSource,
  type UnsubscribeSubject,
} from '../domain/notifications/unsubscribe';
import type { Runtime } from '../runtime';
import { requestLogger } from './locals';

/** Form field that marks a POST as the confirmation page's button (anything else is one-click). */
const PAGE_FIELD = 'via';
const PAGE_VALUE = 'page';
const TTL_DAYS = Math.round(UNSUBSCRIBE_TOKEN_TTL_SECONDS / 86_400);

/**
 * A small page: inline CSS only (helmet's CSP allows `style-src 'unsafe-inline'`, forbids inline
 * script), every interpolated value escaped by the callers.
 */
function page(title: string, bodyHtml: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)} · TaskFlow</title>
<style>
body{margin:0;padding:32px 16px;background:#f4f5f7;font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#172b4d;line-height:1.5}
main{max-width:480px;margin:0 auto;background:#fff;border-radius:8px;padding:32px;box-shadow:0 1px 3px rgba(0,0,0,.12)}
h1{font-size:22px;margin:0 0 16px}
p{margin:0 0 16px}
button{font:inherit;font-weight:600;color:#fff;background:#0052cc;border:0;border-radius:4px;padding:10px 20px;cursor:pointer}
a{color:#0052cc}
.muted{color:#5e6c84;font-size:14px}
</style>
</head>
<body>
<main>
${bodyHtml}
</main>
</body>
</html>
`;
}

function send(res: Response, status: number, html: string): void {
  // The token is in the URL: keep the page out of caches; helmet already sends
  // `Referrer-Policy: no-referrer`, so following the settings link does not leak it either.
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Robots-Tag', 'noindex');
  res.status(status).type('html').send(html);
}

function settingsLink(runtime: Runtime): string {
  const url = `${runtime.config.notifications.publicBaseUrl}${PREFERENCES_PATH}`;
  return `<a href="${escapeHtml(url)}">notification settings</a>`;
}

/** Verifies the `token` query parameter; on failure answers the 400 page and returns `null`. */
function subjectOr400(
  runtime: Runtime,
  req: Request,
  res: Response,
): (UnsubscribeSubject & { token: string }) | null {
  const { unsubscribeSigningKey } = runtime.config.notifications;
  const token: unknown = req.query.token;
  try {
    const subject = verifyUnsubscribeToken(unsubscribeSigningKey, runtime.deps.clock, token);
    return { ...subject, token: token as string };
  } catch (e) {
    const expired = isExpiredUnsubscribeLink(e);
    requestLogger(res).info('Unsubscribe link rejected', {
      reason: expired ? 'expired' : 'invalid',
      error: e instanceof Error ? e.message : String(e),
    });
    const html = expired
      ? page(
          'Link expired',
          `<h1>This unsubscribe link has expired</h1>
<p>Unsubscribe links work for ${TTL_DAYS} days after an email is sent. Use the link in a more recent
email, or turn emails off in the app's ${settingsLink(runtime)}.</p>`,
        )
      : page(
          'Link not valid',
          `<h1>This unsubscribe link is not valid</h1>
<p>It may have been cut short or changed on the way. Copy the whole link from the email, use
the link in a more recent email, or turn emails off in the app's ${settingsLink(runtime)}.</p>`,
        );
    send(res, 400, html);
    return null;
  }
}

/**
 * One-click unsubscribe (RFC 8058), public: the signed token in the URL is the only authority.
 *
 * - `GET /unsubscribe?token=…` changes nothing. Mail security scanners and link previewers fetch
 *   every link in a message, so a GET that unsubscribed would unsubscribe people who never
 *   clicked (RFC 8058 §2 gives this as the reason for the POST). It answers a confirmation page
 *   whose one button POSTs the same token.
 * - `POST /unsubscribe?token=…` turns the preference off and says so. It is what the mailbox
 *   provider's unsubscribe button sends (body `List-Unsubscribe=One-Click`, urlencoded or
 *   multipart — the token alone decides, the body is not required) and what the page's button
 *   sends. Idempotent.
 *
 * Invalid or expired tokens get a 400 HTML page (never JSON: a person is reading). The answer is
 * the same whether or not the account still exists.
 */
export function unsubscribeRouter(runtime: Runtime): express.Router {
  const router = express.Router();

  router.get('/unsubscribe', (req: Request, res: Response) => {
    const subject = subjectOr400(runtime, req, res);
    if (subject === null) return;
    const { token } = subject;
    const label = escapeHtml(UNSUBSCRIBE_SCOPES[subject.scope].label);
    // `?token=…` resolves against this page's own URL (Hosting `/api/unsubscribe` or the
    // function's URL), so the form posts to the same origin, as `form-action 'self'` requires.
    send(
      res,
      200,
      page(
        'Unsubscribe',
        `<h1>Unsubscribe from ${label}?</h1>
<p>You will stop receiving ${label} for this account.</p>
<form method="post" action="?token=${escapeHtml(encodeURIComponent(token))}">
<input type="hidden" name="${PAGE_FIELD}" value="${PAGE_VALUE}">
<button type="submit">Unsubscribe</button>
</form>
<p class="muted">You can change every kind of notification in the app's ${settingsLink(runtime)}.</p>`,
      ),
    );
  });

  router.post(
    '/unsubscribe',
    // Only this route reads form bodies, and only a few bytes of them.
    express.urlencoded({ extended: false, limit: '2kb', parameterLimit: 10 }),
    (req: Request, res: Response) => {
      const subject = subjectOr400(runtime, req, res);
      if (subject === null) return;
      const body = req.body as Record<string, unknown> | undefined;
      const source: UnsubscribeSource = body?.[PAGE_FIELD] === PAGE_VALUE ? 'link' : 'one-click';
      applyUnsubscribe(runtime.deps.db, runtime.deps.clock, subject, source)
        .then((result) => {
          requestLogger(res).info('Unsubscribed', {
            userId: subject.uid,
            scope: subject.scope,
            source,
            found: result.found,
            changed: result.changed,
          });
          const label = escapeHtml(UNSUBSCRIBE_SCOPES[subject.scope].label);
          send(
            res,
            200,
            page(
              'Unsubscribed',
              `<h1>You are unsubscribed</h1>
<p>You will no longer receive ${label}.</p>
<p class="muted">Changed your mind? Turn them back on in the app's ${settingsLink(runtime)}.</p>`,
            ),
          );
        })
        .catch((e: unknown) => {
          // Not the reader's fault, and they should try again: a page, not the JSON 500.
          requestLogger(res).error('Unsubscribe failed', {
            userId: subject.uid,
            scope: subject.scope,
            error: e instanceof Error ? e.message : String(e),
          });
          res.setHeader('Retry-After', '60');
          send(
            res,
            503,
            page(
              'Try again',
              `<h1>We could not unsubscribe you just now</h1>
<p>Please try again in a minute, or turn emails off in the app's ${settingsLink(runtime)}.</p>`,
            ),
          );
        });
    },
  );

  return router;
}
