import {
  MAX_PREFIX,
  MAX_QUERY_WORDS,
  MAX_TOKENS,
  normalizeText,
  queryTokens,
  searchTokens,
  words,
} from '../../src/domain/search/search-tokens';

describe('search tokens', () => {
  it('normalizes case and accents (NFKD, marks stripped)', () => {
    expect(normalizeText('Résumé ÉCOLE Ångström naïve')).toBe('resume ecole angstrom naive');
    // Compatibility forms fold too: the "ﬁ" ligature and full-width letters.
    expect(normalizeText('ﬁle ＡＢＣ')).toBe('file abc');
  });

  it('splits on anything that is not a letter or digit, without repeats', () => {
    expect(words('Fix the login-page (v2) — fix it!')).toEqual([
      'fix',
      'the',
      'login',
      'page',
      'v2',
      'it',
    ]);
    expect(words('東京 タスク')).toEqual(['東京', 'タスク']);
  });

  it('stores every prefix of 2 to 15 characters of each word', () => {
    expect(searchTokens('Café')).toEqual(['ca', 'caf', 'cafe']);
    const long = searchTokens('internationalization');
    expect(long).toHaveLength(MAX_PREFIX - 1);
    expect(long.at(-1)).toBe('internationaliz');
  });

  it('takes title words before description words, and stops at the bound', () => {
    const description = Array.from({ length: 200 }, (_, i) => `word${i}abcdefghij`).join(' ');
    const tokens = searchTokens('Quarterly report', description);
    expect(tokens.length).toBe(MAX_TOKENS);
    expect(tokens.slice(0, 4)).toEqual(['qu', 'qua', 'quar', 'quart']);
    expect(tokens).toContain('report');
  });

  it('drops one-letter words (too unselective) but keeps digits', () => {
    expect(searchTokens('a b c')).toEqual([]);
    expect(searchTokens('Q4 plan')).toEqual(['q4', 'pl', 'pla', 'plan']);
  });

  it('turns a query into one token per word, longest first, cut and bounded', () => {
    expect(queryTokens('  RÉSU  rep ')).toEqual(['resu', 'rep']);
    expect(queryTokens('a')).toEqual([]);
    expect(queryTokens('internationalization')).toEqual(['internationaliz']);
    expect(queryTokens('aa bb cc dd ee ff gg hh ii jj')).toHaveLength(MAX_QUERY_WORDS);
  });

  it('finds a task by any prefix of its words: every query token is a stored token', () => {
    const stored = new Set(searchTokens('Prepare the Québec offsite', 'Book hotels & trains'));
    for (const q of ['queb', 'QUEBEC', 'prep off', 'hot tra', 'Offsite québec']) {
      expect(queryTokens(q).every((t) => stored.has(t))).toBe(true);
    }
    for (const q of ['quebecois', 'plane', 'hotelx']) {
      expect(queryTokens(q).every((t) => stored.has(t))).toBe(false);
    }
  });
});
