import { HtmlValidate, type ConfigData, type Message } from 'html-validate';
import type { EmailTemplateData } from '../../src/domain/notifications/channels';
import { unsubscribePages } from '../../src/http/unsubscribe.pages';
import { EMAIL_PREVIEWS, type EmailPreview } from '../../scripts/email-previews';

/**
 * Every email template and unsubscribe page, rendered from the preview fixtures
 * (`npm run email:preview`), is valid HTML by html-validate's recommended rules, with these
 * exceptions for email HTML only (Gmail, Outlook's Word engine and Apple Mail are the targets):
 * - `no-inline-style`: many clients drop `<style>`; inline styles are the only CSS they all keep.
 * - `no-deprecated-attr`: Outlook sizes and spaces tables from `width`, `cellpadding`,
 *   `cellspacing`, `border`, `align` and `bgcolor`, not from CSS.
 * - `no-conditional-comment`: `<!--[if mso]>` blocks are how Outlook gets its fixes.
 * - `prefer-tbody`: the layout tables are not data tables; every client renders them without.
 * The unsubscribe pages are web pages and get the recommended rules whole, except that their
 * doctype is written `<!doctype html>` (the HTML standard allows either case).
 */
const emailRules: ConfigData = {
  extends: ['html-validate:recommended'],
  rules: {
    'no-inline-style': 'off',
    'no-deprecated-attr': 'off',
    'no-conditional-comment': 'off',
    'prefer-tbody': 'off',
  },
};
const pageRules: ConfigData = {
  extends: ['html-validate:recommended'],
  rules: { 'doctype-style': ['error', { style: 'lowercase' }] },
};

const show = (messages: Message[]) =>
  messages.map((m) => `${m.line}:${m.column} ${m.ruleId}: ${m.message}`);

async function problems(preview: EmailPreview): Promise<string[]> {
  const rendered = preview.render();
  const validator = new HtmlValidate(rendered.text === null ? pageRules : emailRules);
  const report = await validator.validateString(rendered.html);
  return report.results.flatMap((r) => show(r.messages));
}

describe('email previews (npm run email:preview)', () => {
  it.each(EMAIL_PREVIEWS.map((p) => [p.name, p] as const))('%s is valid HTML', async (_, p) => {
    expect(await problems(p)).toEqual([]);
  });

  it('names are unique file names; emails have a subject and a text part', () => {
    const names = EMAIL_PREVIEWS.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    for (const p of EMAIL_PREVIEWS) {
      expect(p.name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      const { subject, text } = p.render();
      expect(subject === null).toBe(text === null);
      if (text !== null) {
        expect(subject).not.toBe('');
        expect(text).toContain('Unsubscribe: ');
      }
    }
  });

  it('cover every template: each kind, task event, due notice, digest period and page', () => {
    // A new kind of EmailTemplateData fails to compile here until it is added (and previewed).
    const kinds = {
      task_event: ['task_assigned', 'task_unassigned', 'task_status_changed', 'task_completed'],
      task_due: ['task_due_soon', 'task_overdue'],
      summary: ['daily', 'weekly'],
      message: ['message'],
      invitation: ['invitation'],
    } satisfies Record<EmailTemplateData['kind'], readonly string[]>;
    const covered = (kind: EmailTemplateData['kind']) =>
      EMAIL_PREVIEWS.flatMap((p) => {
        const d = p.data;
        if (d?.kind !== kind) return [];
        if (d.kind === 'task_event') return d.changes.map((c) => c.category);
        if (d.kind === 'task_due') return [d.category];
        if (d.kind === 'summary') return [d.period];
        return [d.kind];
      });
    for (const [kind, variants] of Object.entries(kinds)) {
      expect(new Set(covered(kind as EmailTemplateData['kind']))).toEqual(new Set(variants));
    }
    // A coalesced batch: several changes in one email.
    expect(
      EMAIL_PREVIEWS.some((p) => p.data?.kind === 'task_event' && p.data.changes.length > 1),
    ).toBe(true);
    const names = EMAIL_PREVIEWS.map((p) => p.name);
    for (const page of Object.keys(unsubscribePages)) {
      expect(names).toContain(`unsubscribe-${page}`);
    }
  });
});
