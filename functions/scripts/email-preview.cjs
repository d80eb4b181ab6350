#!/usr/bin/env node
// `npm run email:preview`: renders every email template and unsubscribe page from the fixtures of
// scripts/email-previews.ts into .local/email-previews/ (git-ignored): <name>.html, <name>.txt
// (emails) and index.html linking them all. No emulator, no build, nothing sent.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

require('./require-typescript.cjs').registerTypeScript();
const { EMAIL_PREVIEWS } = require('./email-previews.ts');

const OUT = path.resolve(__dirname, '..', '.local', 'email-previews');

const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

fs.rmSync(OUT, { recursive: true, force: true });
fs.mkdirSync(OUT, { recursive: true });
const rows = [];
for (const preview of EMAIL_PREVIEWS) {
  const { subject, html, text } = preview.render();
  fs.writeFileSync(path.join(OUT, `${preview.name}.html`), html);
  if (text !== null) fs.writeFileSync(path.join(OUT, `${preview.name}.txt`), text);
  rows.push(
    `<tr><td><a href="${preview.name}.html">${escapeHtml(preview.name)}</a></td>` +
      `<td>${text === null ? 'page' : `<a href="${preview.name}.txt">text</a>`}</td>` +
      `<td>${subject === null ? '' : escape(subject)}</td><td>${escapeHtml(preview.description)}</td></tr>`,
  );
}
fs.writeFileSync(
  path.join(OUT, 'index.html'),
  `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>TaskFlow email previews</title>
<style>body{font-family:system-ui,sans-serif;margin:32px}td,th{padding:4px 12px;text-align:left;vertical-align:top}</style>
</head>
<body>
<h1>TaskFlow email previews</h1>
<p>Rendered by <code>npm run email:preview</code> from the fixtures in scripts/email-previews.ts.</p>
<table>
<tr><th>Preview (HTML)</th><th>Text</th><th>Subject</th><th>What</th></tr>
${rows.join('\n')}
</table>
</body>
</html>
`,
);
process.stdout.write(`${EMAIL_PREVIEWS.length} previews: ${path.join(OUT, 'index.html')}\n`);
