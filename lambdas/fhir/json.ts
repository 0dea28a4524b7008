import { isLosslessNumber as isLossless, parse as losslessParse, stringify as losslessStringify } from 'lossless-json';
import { Invalid, type OutcomeIssue } from './errors';

/**
 * Lossless, strict FHIR JSON. FHIR decimals carry their precision in their text (`1.50` is not
 * `1.5`), so numbers stay LosslessNumbers (their source text) from request to storage, and only
 * validators and FHIRPath see JS numbers (`toPlainJson`). Input that JSON tolerates but FHIR does
 * not (duplicate keys, control characters, lone surrogates) is rejected here, before any handler
 * sees it.
 */

/**
 * Deepest nesting of arrays and objects accepted (the root object is level 1). Real FHIR stays
 * under 30, even a Bundle of Questionnaires with nested items and extensions; 100 leaves room for
 * odd but legal content while keeping the recursive parser, `toPlainJson` and the validators far
 * from any stack limit.
 */
export const maxJsonDepth = 100;

/** The most issues one body reports: enough to fix it, not a second copy of a hostile body. */
const maxIssues = 10;

const utf8 = new TextDecoder('utf-8', { fatal: true }); // ignoreBOM false: a leading BOM is dropped

/** Bytes of a request body → text: strict UTF-8 (TextDecoder fatal), BOM stripped; invalid UTF-8 → Invalid (400). */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new Invalid('The request body is not valid UTF-8');
  }
}

/**
 * Text → FHIR JSON value, numbers kept as LosslessNumbers. Rejects with Invalid (400): malformed
 * JSON, nesting deeper than maxJsonDepth, duplicate keys, and strings (values or keys) holding
 * lone surrogates or characters below U+0020 other than tab, CR and LF.
 */
export function parseFhirJson(text: string): unknown {
  // The scan is iterative and runs first, so a hostile depth is refused before the recursive parser.
  const scan = scanJson(text);
  let value: unknown;
  try {
    // Duplicates are reported by the scan (with their location); lossless-json alone would accept
    // a duplicate holding an equal value, and report a different one as a bare syntax error.
    value = losslessParse(text, null, { onDuplicateKey: () => undefined });
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    // A raw control character in a string is malformed JSON; when it is the parser's first
    // complaint, the scan knows where it sits, which helps more than a character offset.
    const position = /at position (\d+)$/.exec(error.message)?.[1];
    const located = scan.problems.find((problem) => problem.offset !== undefined && String(problem.offset) === position);
    if (located) throw new Invalid([toIssue(located, scan.rootType)]);
    throw new Invalid(`Malformed JSON: ${printable(error.message)}`);
  }
  // Only now is the scan's path tracking known to follow well-formed JSON.
  if (scan.problems.length > 0) throw new Invalid(scan.problems.map((problem) => toIssue(problem, scan.rootType)));
  return value;
}

/** FHIR JSON value (possibly holding LosslessNumbers) → text, numbers written exactly as received. */
export function stringifyFhirJson(value: unknown): string {
  const text = losslessStringify(value);
  if (text === undefined) throw new TypeError('The value has no JSON representation');
  return text;
}

/**
 * A copy with every LosslessNumber turned into a JS number, for validators and FHIRPath that need
 * plain JSON. Digits beyond a double's precision are rounded and out-of-range values become
 * ±Infinity or 0: never store this copy. Recursive: its input comes from parseFhirJson, whose
 * depth is capped.
 */
export function toPlainJson(value: unknown): unknown {
  if (isLossless(value)) return Number(value.value);
  if (Array.isArray(value)) return value.map(toPlainJson);
  if (isRecord(value)) {
    // fromEntries defines own properties, so a `__proto__` key stays data, as in JSON.parse.
    return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, toPlainJson(child)]));
  }
  return value;
}

/** True for a lossless number (so other modules need not import lossless-json). */
export function isLosslessNumber(value: unknown): boolean {
  return isLossless(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/* ------------------------------------------------------------------------------------------------
 * The pre-scan: one linear pass with an explicit stack, no recursion, no regular expressions.
 * It refuses excessive depth at once (whatever follows) and collects the other problems with
 * their location, which parseFhirJson reports only if the text turns out to be well-formed.
 */

type Segment = string | number;

interface Problem {
  readonly code: 'duplicate' | 'control' | 'surrogate';
  readonly what: 'property name' | 'string';
  readonly path: readonly Segment[];
  /** The offending code unit, for control characters and surrogates. */
  readonly unit?: number;
  /** Where that unit sits in the text, when it is written raw rather than escaped. */
  readonly offset?: number;
}

interface ObjectFrame {
  readonly kind: 'object';
  readonly keys: Set<string>;
  key: string | undefined;
  expectKey: boolean;
}
interface ArrayFrame {
  readonly kind: 'array';
  index: number;
}
type Frame = ObjectFrame | ArrayFrame;

const quote = 0x22;
const backslash = 0x5c;

interface Scan {
  readonly problems: Problem[];
  /** The root object's resourceType, to prefix locations (`Patient.name[0].family`). */
  rootType: string | undefined;
}

function scanJson(text: string): Scan {
  const scan: Scan = { problems: [], rootType: undefined };
  const stack: Frame[] = [];
  const length = text.length;
  let i = 0;
  while (i < length) {
    const c = text.charCodeAt(i);
    if (c === quote) {
      let end = i + 1;
      let escaped = false;
      while (end < length) {
        const d = text.charCodeAt(end);
        if (d === quote) break;
        if (d === backslash) {
          escaped = true;
          end += 2;
        } else {
          end += 1;
        }
      }
      if (end >= length) break; // unterminated: the parser reports it
      const decoded = escaped ? decodeStringLiteral(text.slice(i, end + 1)) : text.slice(i + 1, end);
      // A bad literal is the parser's to report; scanning goes on so depth is still counted.
      if (decoded !== undefined) noteString(scan, stack, decoded, escaped ? undefined : i + 1);
      i = end + 1;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (stack.length >= maxJsonDepth) {
        throw new Invalid(`JSON nesting is deeper than ${maxJsonDepth} levels (at character ${i})`);
      }
      stack.push(c === 0x7b ? { kind: 'object', keys: new Set(), key: undefined, expectKey: true } : { kind: 'array', index: 0 });
      i += 1;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
      i += 1;
    } else if (c === 0x2c /* , */) {
      const top = stack.at(-1);
      if (top?.kind === 'object') top.expectKey = true;
      else if (top?.kind === 'array') top.index += 1;
      i += 1;
    } else {
      i += 1;
    }
  }
  return scan;
}

/** A JSON string literal with escapes → its value (JSON.parse of one literal does not recurse). */
function decodeStringLiteral(literal: string): string | undefined {
  try {
    const value: unknown = JSON.parse(literal);
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** `start` is the text offset of the string's first unit when it has no escapes (so offsets map 1:1). */
function noteString(scan: Scan, stack: Frame[], value: string, start: number | undefined): void {
  const { problems } = scan;
  const top = stack.at(-1);
  const isKey = top?.kind === 'object' && top.expectKey;
  if (isKey) {
    top.expectKey = false;
    top.key = value;
    if (!top.keys.has(value)) top.keys.add(value);
    else if (problems.length < maxIssues) problems.push({ code: 'duplicate', what: 'property name', path: pathOf(stack) });
  } else if (stack.length === 1 && top?.kind === 'object' && top.key === 'resourceType') {
    scan.rootType = plainName(value) ? value : undefined;
  }
  if (problems.length >= maxIssues) return;
  const bad = firstBadUnit(value);
  if (bad !== undefined) {
    problems.push({
      code: bad.surrogate ? 'surrogate' : 'control',
      what: isKey ? 'property name' : 'string',
      path: pathOf(stack),
      unit: bad.unit,
      ...(start === undefined ? {} : { offset: start + bad.index }),
    });
  }
}

function pathOf(stack: readonly Frame[]): Segment[] {
  return stack.map((frame) => (frame.kind === 'array' ? frame.index : (frame.key ?? '')));
}

/** R4 strings SHOULD NOT hold code points below U+0020 but tab, LF, CR (enforced: XML cannot carry them); Unicode has no lone surrogates. */
function firstBadUnit(value: string): { unit: number; index: number; surrogate: boolean } | undefined {
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    if (unit < 0x20) {
      if (unit !== 0x09 && unit !== 0x0a && unit !== 0x0d) return { unit, index: i, surrogate: false };
    } else if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = value.charCodeAt(i + 1); // NaN past the end
      if (next >= 0xdc00 && next <= 0xdfff) i += 1;
      else return { unit, index: i, surrogate: true };
    } else if (unit >= 0xdc00 && unit <= 0xdfff) {
      return { unit, index: i, surrogate: true };
    }
  }
  return undefined;
}

function toIssue(problem: Problem, root: string | undefined): OutcomeIssue {
  const where = formatPath(root, problem.path);
  const unit = `U+${(problem.unit ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
  const subject = problem.what === 'string' ? 'The string' : 'The property name';
  // Values are never echoed: they may be PHI.
  const diagnostics =
    problem.code === 'duplicate'
      ? `Duplicate JSON property at ${where}: each property may appear only once in an object`
      : problem.code === 'control'
        ? `${subject} at ${where} contains the control character ${unit}; FHIR strings allow only tab, CR and LF below U+0020`
        : `${subject} at ${where} contains an unpaired UTF-16 surrogate (${unit}), which is not a Unicode character`;
  return { severity: 'error', code: 'invalid', diagnostics, expression: [where] };
}

/** `Patient.name[0].family`; property names that are not plain identifiers are quoted with backticks, escaped. */
function formatPath(root: string | undefined, path: readonly Segment[]): string {
  let out = root ?? '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += `${out === '' ? '' : '.'}${plainName(segment) ? segment : `\`${JSON.stringify(segment.slice(0, 64)).slice(1, -1)}\``}`;
  }
  return out === '' ? '$' : out;
}

function plainName(name: string): boolean {
  if (name.length === 0 || name.length > 64) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const letter = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
    if (!letter && !(i > 0 && c >= 0x30 && c <= 0x39)) return false;
  }
  return true;
}

/**
 * The parser's message, control characters escaped so diagnostics stay one clean line, and cut
 * short: it may quote a whole malformed number, and the position at its end is what helps.
 */
function printable(message: string): string {
  const line = JSON.stringify(message).slice(1, -1);
  return line.length <= 200 ? line : `${line.slice(0, 100)}…${line.slice(-80)}`;
}
