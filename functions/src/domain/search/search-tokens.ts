/**
 * Words → prefix tokens for task search. Firestore has no full-text search: a task is found by an
 * `array-contains` on one of its tokens, so every prefix the app may type must be stored. The
 * text is normalized (NFKD, combining marks removed, lower case) so that "Résumé", "RESUME" and
 * "resume" are one word, then cut at anything that is not a letter or a digit.
 */

/** Shortest prefix stored and searched: one letter would match nearly every task. */
export const MIN_PREFIX = 2;
/** Longest prefix stored; a longer query word is cut to this length (then checked in full). */
export const MAX_PREFIX = 15;
/** Most tokens per task: title words first, so a long description cannot crowd the title out. */
export const MAX_TOKENS = 300;
/** Most words of a search query. */
export const MAX_QUERY_WORDS = 8;

/** NFKD, diacritics stripped, lower case: the form tokens and queries are compared in. */
export function normalizeText(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase();
}

/**
 * The characters (code points) of a word. Words hold letters and digits only (no emoji or joiners,
 * which the split removes), so a code point is a character here.
 */
function chars(word: string): string[] {
  return Array.from(word);
}

/** The normalized words of `text`, in order, without repeats. */
export function words(text: string): string[] {
  const seen = new Set<string>();
  for (const w of normalizeText(text).split(/[^\p{L}\p{N}]+/u)) if (w !== '') seen.add(w);
  return [...seen];
}

/**
 * The search tokens of a task: every prefix of MIN_PREFIX..MAX_PREFIX characters of every word
 * of the title, then of the description, at most MAX_TOKENS in all, without repeats.
 */
export function searchTokens(title: string, description = ''): string[] {
  const tokens = new Set<string>();
  for (const w of [...words(title), ...words(description)]) {
    const cs = chars(w);
    for (let n = MIN_PREFIX; n <= Math.min(cs.length, MAX_PREFIX); n++) {
      tokens.add(cs.slice(0, n).join(''));
      if (tokens.size >= MAX_TOKENS) return [...tokens];
    }
  }
  return [...tokens];
}

/**
 * The tokens a query needs, one per query word (cut to MAX_PREFIX characters), longest first:
 * the first is the most selective and is the one Firestore filters on; a task matches when it has
 * all of them. Words shorter than MIN_PREFIX are dropped; an empty result means "nothing to
 * search for".
 */
export function queryTokens(query: string): string[] {
  const tokens = words(query)
    .map((w) => chars(w).slice(0, MAX_PREFIX).join(''))
    .filter((w) => chars(w).length >= MIN_PREFIX);
  return [...new Set(tokens)]
    .sort((a, b) => chars(b).length - chars(a).length)
    .slice(0, MAX_QUERY_WORDS);
}
