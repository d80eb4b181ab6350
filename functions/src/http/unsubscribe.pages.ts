import escapeHtml from 'escape-html';
import { UNSUBSCRIBE_TOKEN_TTL_SECONDS } from '../domain/notifications/unsubscribe.service';

/** Form field that marks a POST as the confirmation page's button (anything else is one-click). */
export const PAGE_FIELD = 'via';
export const PAGE_VALUE = 'page';
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

function settingsLink(settingsUrl: string): string {
  return `<a href="${escapeHtml(settingsUrl)}">notification settings</a>`;
}

/**
 * The pages of the one-click unsubscribe flow (`unsubscribe.routes.ts`), as pure functions of
 * what they show, so that `npm run email:preview` renders them and the tests validate their HTML.
 * `label` is the scope's label ("task reminder emails"); `settingsUrl` the app's settings page.
 */
export const unsubscribePages = {
  /** GET: changes nothing; one button POSTs the same token. */
  confirm(label: string, token: string, settingsUrl: string): string {
    const what = escapeHtml(label);
    return page(
      'Unsubscribe',
      `<h1>Unsubscribe from ${what}?</h1>
<p>You will stop receiving ${what} for this account.</p>
<form method="post" action="?token=${escapeHtml(encodeURIComponent(token))}">
<input type="hidden" name="${PAGE_FIELD}" value="${PAGE_VALUE}">
<button type="submit">Unsubscribe</button>
</form>
<p class="muted">You can change every kind of notification in the app's ${settingsLink(settingsUrl)}.</p>`,
    );
  },
  /** POST: the preference is off. */
  done(label: string, settingsUrl: string): string {
    return page(
      'Unsubscribed',
      `<h1>You are unsubscribed</h1>
<p>You will no longer receive ${escapeHtml(label)}.</p>
<p class="muted">Changed your mind? Turn them back on in the app's ${settingsLink(settingsUrl)}.</p>`,
    );
  },
  /** 400: a well-formed link past its lifetime. */
  expired(settingsUrl: string): string {
    return page(
      'Link expired',
      `<h1>This unsubscribe link has expired</h1>
<p>Unsubscribe links work for ${TTL_DAYS} days after an email is sent. Use the link in a more recent
email, or turn emails off in the app's ${settingsLink(settingsUrl)}.</p>`,
    );
  },
  /** 400: a link that does not verify. */
  invalid(settingsUrl: string): string {
    return page(
      'Link not valid',
      `<h1>This unsubscribe link is not valid</h1>
<p>It may have been cut short or changed on the way. Copy the whole link from the email, use
the link in a more recent email, or turn emails off in the app's ${settingsLink(settingsUrl)}.</p>`,
    );
  },
  /** 503: storing the change failed; the reader should try again. */
  retry(settingsUrl: string): string {
    return page(
      'Try again',
      `<h1>We could not unsubscribe you just now</h1>
<p>Please try again in a minute, or turn emails off in the app's ${settingsLink(settingsUrl)}.</p>`,
    );
  },
};
