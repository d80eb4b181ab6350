import express, { type Request, type Response } from 'express';
import {
  applyUnsubscribe,
  isExpiredUnsubscribeLink,
  PREFERENCES_PATH,
  UNSUBSCRIBE_SCOPES,
  verifyUnsubscribeToken,
  type UnsubscribeSource,
  type UnsubscribeSubject,
} from '../domain/notifications/unsubscribe.service';
import type { Runtime } from '../runtime';
import { requestLogger } from './locals';
import { PAGE_FIELD, PAGE_VALUE, unsubscribePages } from './unsubscribe.pages';

function send(res: Response, status: number, html: string): void {
  // The token is in the URL: keep the page out of caches; helmet already sends
  // `Referrer-Policy: no-referrer`, so following the settings link does not leak it either.
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Robots-Tag', 'noindex');
  res.status(status).type('html').send(html);
}

function settingsUrl(runtime: Runtime): string {
  return `${runtime.config.notifications.publicBaseUrl}${PREFERENCES_PATH}`;
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
      ? unsubscribePages.expired(settingsUrl(runtime))
      : unsubscribePages.invalid(settingsUrl(runtime));
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
    // `?token=…` resolves against this page's own URL (Hosting `/api/unsubscribe` or the
    // function's URL), so the form posts to the same origin, as `form-action 'self'` requires.
    send(
      res,
      200,
      unsubscribePages.confirm(
        UNSUBSCRIBE_SCOPES[subject.scope].label,
        subject.token,
        settingsUrl(runtime),
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
          send(
            res,
            200,
            unsubscribePages.done(UNSUBSCRIBE_SCOPES[subject.scope].label, settingsUrl(runtime)),
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
          send(res, 503, unsubscribePages.retry(settingsUrl(runtime)));
        });
    },
  );

  return router;
}
