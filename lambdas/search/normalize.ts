/**
 * Text folding for FHIR string search (R4: case- and accent-insensitive). Shared by the query
 * parser, the matcher and whatever builds index entries, so both sides fold the same way.
 */

// Letters that NFD does not decompose but a French or European reader takes as plain letters.
const FOLDS: Readonly<Record<string, string>> = { œ: 'oe', æ: 'ae', ß: 'ss', ø: 'o', đ: 'd', ł: 'l', ı: 'i' };
const FOLDABLE = /[œæßøđłı]/g;
const COMBINING_MARKS = /\p{M}+/gu;
const WHITESPACE = /\s+/g;

/** "  Hélène  Œuvre " → "helene oeuvre"; "ÉMILIE" → "emilie"; "Straße" → "strasse". */
export function normalizeString(text: string): string {
  return text
    .toLowerCase() // first: lower-casing can itself produce combining marks (İ → i + U+0307)
    .normalize('NFD')
    .replace(COMBINING_MARKS, '')
    .replace(FOLDABLE, (letter) => FOLDS[letter] ?? letter)
    .replace(WHITESPACE, ' ')
    .trim();
}
