/**
 * The compact text form of search parameters in `generated/search-parameters.json`, shared by the
 * generator (which writes it) and the read path (which parses it, one type at a time).
 *
 * A list of parameters is one string of comma-separated entries, sorted by code:
 *
 *   code:L[index][!]     e.g. `birthdate:d`, `general-practitioner:r12`, `_text:s!`
 *
 * - `L` is the parameter type, one letter (see `letterOf`);
 * - `index`, on reference parameters with targets, is the index of the target list in the file's
 *   `targets` table (each a comma-separated list of type names, or `*` for every resource type);
 * - `!` marks a parameter for which the write path stores no values (`extracted: false`).
 */

export type SearchParamType = 'number' | 'date' | 'string' | 'token' | 'reference' | 'composite' | 'quantity' | 'uri' | 'special';

/** One parameter as written in the text form; `targets` is an index into the targets table. */
export interface SearchParameterEntry {
  readonly code: string;
  readonly type: SearchParamType;
  readonly targets?: number;
  readonly extracted?: false;
}

export const letterOf: Readonly<Record<SearchParamType, string>> = {
  number: 'n',
  date: 'd',
  string: 's',
  token: 't',
  reference: 'r',
  composite: 'c',
  quantity: 'q',
  uri: 'u',
  special: 'x',
};

const typeOf: Readonly<Record<string, SearchParamType>> = Object.fromEntries(Object.entries(letterOf).map(([type, letter]) => [letter, type as SearchParamType]));

/** The `targets` table entry that stands for every resource type. */
export const everyType = '*';

const entryPattern = /^([\w.-]+):([a-z])(\d*)(!?)$/;

export function encodeSearchParameters(entries: readonly SearchParameterEntry[]): string {
  return entries
    .map(({ code, type, targets, extracted }) => {
      // `type` is not checked by the compiler when the generator casts it from the definitions; an unknown one fails below.
      const letter = Object.hasOwn(letterOf, type) ? letterOf[type] : '';
      const text = `${code}:${letter}${targets ?? ''}${extracted === false ? '!' : ''}`;
      const encodedLetter = entryPattern.exec(text)?.[2];
      if (encodedLetter === undefined || typeOf[encodedLetter] !== type) throw new Error(`Cannot encode search parameter ${JSON.stringify({ code, type, targets, extracted })}`);
      return text;
    })
    .join(',');
}

export function decodeSearchParameters(text: string): SearchParameterEntry[] {
  if (text === '') return [];
  return text.split(',').map((entry) => {
    const [, code, letter, targets, bang] = entryPattern.exec(entry) ?? [];
    const type = letter === undefined ? undefined : typeOf[letter];
    if (code === undefined || type === undefined) throw new Error(`Malformed search parameter entry: ${entry}`);
    return { code, type, ...(targets ? { targets: Number(targets) } : {}), ...(bang ? { extracted: false as const } : {}) };
  });
}
