/**
 * Text-level helpers for the official R4 FHIRPath search expressions, shared by the registry
 * generator and the write path. They read expression text only; no FHIRPath engine here.
 */

/**
 * Splits an expression on its top-level `|` operators: a `|` inside parentheses, brackets, a
 * string literal ('…') or a delimited identifier (`…`) belongs to an inner expression.
 */
export function splitTopLevelUnion(expression: string): string[] {
  const branches: string[] = [];
  let depth = 0;
  let quote: "'" | '`' | undefined;
  let start = 0;
  for (let i = 0; i < expression.length; i++) {
    const char = expression[i];
    if (quote) {
      if (char === '\\') i++;
      else if (char === quote) quote = undefined;
      continue;
    }
    if (char === "'" || char === '`') quote = char;
    else if (char === '(' || char === '[' || char === '{') depth++;
    else if (char === ')' || char === ']' || char === '}') depth--;
    else if (char === '|' && depth === 0) {
      branches.push(expression.slice(start, i).trim());
      start = i + 1;
    }
  }
  branches.push(expression.slice(start).trim());
  return branches.filter((branch) => branch.length > 0);
}

/** The type name a branch starts from (`Observation` in `(Observation.value as Quantity)`). */
export function leadingTypeName(branch: string): string | undefined {
  return /^\(*\s*([A-Za-z][A-Za-z0-9]*)\b/.exec(branch)?.[1];
}

/**
 * Rewrites FHIRPath `as` to `ofType()`: fhirpath.js throws when `as` meets a collection of more
 * than one item (e.g. `useContext.value` of several contexts), while `ofType()` filters each item.
 * Handles both the operator form `(X as T)` and the function form `X.as(T)`.
 */
export function rewriteAsToOfType(expression: string): string {
  let result = expression.replace(/\.as\(([A-Za-z][A-Za-z0-9]*)\)/g, '.ofType($1)');
  let previous: string;
  do {
    previous = result;
    result = result.replace(/\(([^()']*?)\s+as\s+([A-Za-z][A-Za-z0-9]*)\)/g, '$1.ofType($2)');
  } while (result !== previous);
  return result;
}
