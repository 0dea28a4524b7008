import type { OutcomeIssue } from './errors';

/**
 * FHIR R4 narrative rules (https://hl7.org/fhir/R4/narrative.html#xhtml): `text.div` is one
 * `<div xmlns="http://www.w3.org/1999/xhtml">` holding only the basic HTML formatting elements and
 * attributes of txt-1, and some non-whitespace content (txt-2). Narratives are shown to clinicians
 * as HTML, so this is also the stored-XSS gate: no scripts, forms, frames, objects, event
 * attributes, script URLs, or markup that an HTML parser would read differently from XML.
 *
 * The div is read by a small tokenizer: one pass, an explicit stack, `indexOf` for delimiters and
 * bounded look-ahead for entities, no regular expressions, so hostile input costs linear time.
 */

const xhtmlNamespace = 'http://www.w3.org/1999/xhtml';

/** Problems reported per div: enough to fix it, and a hostile div cannot flood the response. */
const maxProblems = 10;

/** txt-1 elements: the list in R4's txt-1 XPath (Narrative.div). */
const allowedElements = new Set(
  ('a abbr acronym b big blockquote br caption cite code col colgroup dd dfn div dl dt em h1 h2 h3 h4 h5 h6 hr i img li ol p pre q ' +
    'samp small span strong sub sup table tbody td tfoot th thead tr tt ul var').split(' '),
);

/**
 * txt-1 attributes: the list in R4's txt-1 XPath, plus `xml:lang` and `xml:space`, which the
 * reference validator accepts (narratives in several languages use `xml:lang`). `xmlns` is checked
 * apart: it may only name the XHTML namespace.
 */
const allowedAttributes = new Set(
  ('abbr accesskey align alt axis bgcolor border cellhalign cellpadding cellspacing cellvalign char charoff charset cite class ' +
    'colspan compact coords dir frame headers height href hreflang hspace id lang longdesc name nowrap rel rev rowspan rules scope ' +
    'shape span src start style summary tabindex title type valign value vspace width xml:lang xml:space').split(' '),
);

/** Attributes whose value a browser follows or loads as a URL. */
const urlAttributes = new Set(['href', 'src', 'cite', 'longdesc']);

/** URL schemes a narrative may use; anything else (javascript:, vbscript:, file:, data: outside img…) is refused. */
const allowedSchemes = new Set(['http', 'https', 'mailto', 'tel', 'urn']);

/** Inline images only, in raster formats a browser cannot script (no SVG). */
const allowedImageData = ['data:image/png', 'data:image/gif', 'data:image/jpeg', 'data:image/jpg', 'data:image/webp', 'data:image/bmp'];

/**
 * XML knows only lt, gt, amp, quot and apos. FHIR narratives are XML, so strictly HTML names such
 * as `&nbsp;` are not allowed; we still accept the HTML 4 set (what XHTML 1.0's DTDs declare)
 * because hand-written and converted narratives use it and it is harmless.
 */
const namedEntities = new Set(
  (
    'lt gt amp quot apos ' +
    // HTML 4 Latin-1
    'nbsp iexcl cent pound curren yen brvbar sect uml copy ordf laquo not shy reg macr deg plusmn sup2 sup3 acute micro para middot ' +
    'cedil sup1 ordm raquo frac14 frac12 frac34 iquest Agrave Aacute Acirc Atilde Auml Aring AElig Ccedil Egrave Eacute Ecirc Euml ' +
    'Igrave Iacute Icirc Iuml ETH Ntilde Ograve Oacute Ocirc Otilde Ouml times Oslash Ugrave Uacute Ucirc Uuml Yacute THORN szlig ' +
    'agrave aacute acirc atilde auml aring aelig ccedil egrave eacute ecirc euml igrave iacute icirc iuml eth ntilde ograve oacute ' +
    'ocirc otilde ouml divide oslash ugrave uacute ucirc uuml yacute thorn yuml ' +
    // HTML 4 symbols
    'fnof Alpha Beta Gamma Delta Epsilon Zeta Eta Theta Iota Kappa Lambda Mu Nu Xi Omicron Pi Rho Sigma Tau Upsilon Phi Chi Psi ' +
    'Omega alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigmaf sigma tau upsilon phi chi ' +
    'psi omega thetasym upsih piv bull hellip prime Prime oline frasl weierp image real trade alefsym larr uarr rarr darr harr crarr ' +
    'lArr uArr rArr dArr hArr forall part exist empty nabla isin notin ni prod sum minus lowast radic prop infin ang and or cap cup ' +
    'int there4 sim cong asymp ne equiv le ge sub sup nsub sube supe oplus otimes perp sdot lceil rceil lfloor rfloor lang rang loz ' +
    'spades clubs hearts diams ' +
    // HTML 4 special
    'OElig oelig Scaron scaron Yuml circ tilde ensp emsp thinsp zwnj zwj lrm rlm ndash mdash lsquo rsquo sbquo ldquo rdquo bdquo ' +
    'dagger Dagger permil lsaquo rsaquo euro'
  ).split(' '),
);
const xmlEntities: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
/** Longest entity reference looked at (`&thetasym;`, `&#x10FFFF;` are far shorter). */
const maxEntityLength = 32;

/**
 * Problems with the narratives of a resource: `text.div` of the resource and of each contained
 * resource, and of each Composition section (the other place R4 puts a Narrative).
 */
export function narrativeIssues(resource: Record<string, unknown>, resourceType: string): OutcomeIssue[] {
  const issues: OutcomeIssue[] = [];
  checkNarrative(resource.text, `${resourceType}.text.div`, issues);
  if (Array.isArray(resource.contained)) {
    resource.contained.forEach((contained, i) => {
      if (isRecord(contained)) checkNarrative(contained.text, `${resourceType}.contained[${i}].text.div`, issues);
    });
  }
  if (resourceType === 'Composition') checkSections(resource.section, `${resourceType}.section`, issues);
  return issues;
}

function checkSections(sections: unknown, path: string, issues: OutcomeIssue[]): void {
  if (!Array.isArray(sections)) return;
  sections.forEach((section, i) => {
    if (!isRecord(section)) return;
    checkNarrative(section.text, `${path}[${i}].text.div`, issues);
    checkSections(section.section, `${path}[${i}].section`, issues); // depth bounded by the JSON depth cap
  });
}

function checkNarrative(text: unknown, expression: string, issues: OutcomeIssue[]): void {
  // A missing or non-string div is the structural validator's to report.
  if (!isRecord(text) || typeof text.div !== 'string') return;
  for (const diagnostics of xhtmlProblems(text.div)) {
    issues.push({ severity: 'error', code: 'invalid', diagnostics: `Narrative: ${diagnostics}`, expression: [expression] });
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Thrown inside the tokenizer when the markup cannot be read further. */
class Malformed extends Error {}

/**
 * The problems of one narrative div, empty when it is acceptable. Markup that is not well-formed
 * stops the reading (one problem); disallowed elements and attributes are all listed.
 */
function xhtmlProblems(div: string): string[] {
  const problems: string[] = [];
  const note = (problem: string) => {
    if (problems.length < maxProblems) problems.push(problem);
  };
  try {
    readDiv(div, note);
  } catch (error) {
    if (!(error instanceof Malformed)) throw error;
    problems.splice(maxProblems - 1); // keep room for the reason reading stopped
    problems.push(`not well-formed XHTML: ${error.message}`);
  }
  return problems;
}

function readDiv(div: string, note: (problem: string) => void): void {
  const n = div.length;
  const stack: string[] = [];
  let i = skipSpace(div, 0);
  let rootSeen = false;
  let rootClosed = false;
  let hasContent = false;

  if (i >= n) throw new Malformed('the narrative is empty; it must be a <div> element');
  while (i < n) {
    if (rootClosed) {
      if (skipSpace(div, i) < n) throw new Malformed('content follows the closing </div>; the narrative must be a single <div> element');
      break;
    }
    if (div.charCodeAt(i) !== 0x3c /* < */) {
      if (stack.length === 0) throw new Malformed('text before the <div>; the narrative must be a single <div> element');
      const end = indexOrEnd(div, '<', i);
      if (readText(div, i, end)) hasContent = true;
      i = end;
      continue;
    }
    if (div.startsWith('<!--', i)) {
      if (stack.length === 0) throw new Malformed('a comment outside the <div>');
      i = readComment(div, i);
      continue;
    }
    if (div.startsWith('<![CDATA[', i)) throw new Malformed('CDATA sections are not allowed');
    if (div.startsWith('<!', i)) throw new Malformed('DOCTYPE and other declarations are not allowed');
    if (div.startsWith('<?', i)) throw new Malformed('processing instructions are not allowed');
    if (div.startsWith('</', i)) {
      const nameEnd = nameEndAt(div, i + 2);
      const name = div.slice(i + 2, nameEnd);
      const close = skipSpace(div, nameEnd);
      if (name === '' || div.charCodeAt(close) !== 0x3e /* > */) throw new Malformed('a malformed end tag');
      const open = stack.pop();
      if (open !== name) {
        throw new Malformed(open === undefined ? `</${shown(name)}> closes nothing` : `</${shown(name)}> does not match the open <${shown(open)}>`);
      }
      if (stack.length === 0) rootClosed = true;
      i = close + 1;
      continue;
    }

    // A start tag.
    const nameEnd = nameEndAt(div, i + 1);
    const name = div.slice(i + 1, nameEnd);
    if (name === '') throw new Malformed("a '<' that starts no tag (write it as &lt;)");
    const isRoot = !rootSeen;
    rootSeen = true;
    const tag = readAttributes(div, nameEnd, name);
    checkElement(name, tag.attributes, isRoot, note);
    if (name === 'img' && tag.attributes.has('src')) hasContent = true; // txt-2 counts an image as content
    if (tag.selfClosing) {
      if (isRoot) rootClosed = true;
    } else {
      stack.push(name);
    }
    i = tag.end;
  }
  const open = stack.at(-1);
  if (open !== undefined) throw new Malformed(`<${shown(open)}> is never closed`);
  if (!hasContent) note('txt-2: the narrative SHALL have some non-whitespace content');
}

/** Reads a comment from `<!--`; returns the index after `-->`. */
function readComment(div: string, start: number): number {
  const bodyStart = start + 4;
  const end = div.indexOf('-->', bodyStart);
  if (end < 0) throw new Malformed('a comment is never closed');
  // XML forbids `--` inside a comment; HTML also ends comments at `<!-->`, `<!--->` and `--!>`, so
  // these would hide markup from this check but not from a browser.
  const dashes = div.indexOf('--', bodyStart);
  const endsWithDash = end > bodyStart && div.charCodeAt(end - 1) === 0x2d; /* - */
  if (dashes < end || endsWithDash || div.startsWith('>', bodyStart) || div.startsWith('->', bodyStart)) {
    throw new Malformed("a comment holds '--' or starts with '>'");
  }
  return end + 3;
}

interface Tag {
  readonly attributes: Map<string, string>;
  readonly selfClosing: boolean;
  /** Index after the closing `>`. */
  readonly end: number;
}

function readAttributes(div: string, from: number, element: string): Tag {
  const attributes = new Map<string, string>();
  let i = from;
  for (;;) {
    const afterSpace = skipSpace(div, i);
    const spaced = afterSpace > i;
    i = afterSpace;
    const c = div.charCodeAt(i);
    if (c === 0x3e /* > */) return { attributes, selfClosing: false, end: i + 1 };
    if (c === 0x2f /* / */ && div.charCodeAt(i + 1) === 0x3e) return { attributes, selfClosing: true, end: i + 2 };
    if (i >= div.length) throw new Malformed(`<${shown(element)}> is never closed with '>'`);
    const nameEnd = nameEndAt(div, i);
    const name = div.slice(i, nameEnd);
    if (!spaced || name === '') throw new Malformed(`a malformed start tag <${shown(element)}>`);
    i = skipSpace(div, nameEnd);
    if (div.charCodeAt(i) !== 0x3d /* = */) throw new Malformed(`the attribute ${shown(name)} on <${shown(element)}> has no value`);
    i = skipSpace(div, i + 1);
    const quote = div[i];
    if (quote !== '"' && quote !== "'") throw new Malformed(`the value of ${shown(name)} on <${shown(element)}> is not quoted`);
    const close = div.indexOf(quote, i + 1);
    if (close < 0) throw new Malformed(`the value of ${shown(name)} on <${shown(element)}> is never closed`);
    const raw = div.slice(i + 1, close);
    if (raw.includes('<')) throw new Malformed(`the value of ${shown(name)} on <${shown(element)}> holds '<' (write it as &lt;)`);
    if (attributes.has(name)) throw new Malformed(`the attribute ${shown(name)} appears twice on <${shown(element)}>`);
    attributes.set(name, decode(raw, 0, raw.length).text);
    i = close + 1;
  }
}

function checkElement(name: string, attributes: ReadonlyMap<string, string>, isRoot: boolean, note: (problem: string) => void): void {
  if (isRoot) {
    if (name !== 'div') note(`the narrative must be a <div> element, not <${shown(name)}>`);
    if (!attributes.has('xmlns')) note(`the <div> must declare xmlns="${xhtmlNamespace}"`);
  } else if (!allowedElements.has(name)) {
    note(`txt-1: the element <${shown(name)}> is not allowed in a narrative (only basic HTML formatting: no scripts, styles, forms, frames or objects)`);
  }
  for (const [attribute, value] of attributes) {
    const problem = attributeProblem(name, attribute, value);
    if (problem !== undefined) note(problem);
  }
}

function attributeProblem(element: string, name: string, value: string): string | undefined {
  const where = `${shown(name)} on <${shown(element)}>`;
  if (name.toLowerCase().startsWith('on')) return `txt-1: event handler attributes such as ${where} are not allowed`;
  if (name === 'xmlns') return value === xhtmlNamespace ? undefined : `xmlns on <${shown(element)}> must be ${xhtmlNamespace}`;
  if (name.startsWith('xmlns:')) return `namespace declarations such as ${where} are not allowed: a narrative is plain XHTML`;
  if (!allowedAttributes.has(name)) return `txt-1: the attribute ${where} is not allowed`;
  if (urlAttributes.has(name)) return urlProblem(element, name, value);
  if (name === 'style') return styleProblem(value, where);
  return undefined;
}

/** Refuses URLs with a scheme outside the allowed ones; relative URLs and fragments pass. */
function urlProblem(element: string, name: string, value: string): string | undefined {
  // Browsers drop ASCII whitespace and control characters in and around a URL ("java\tscript:").
  let url = '';
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) > 0x20) url += value.charAt(i);
  url = url.toLowerCase();
  const scheme = schemeOf(url);
  if (scheme === undefined || allowedSchemes.has(scheme)) return undefined;
  if (scheme === 'data' && element === 'img' && name === 'src' && allowedImageData.some((prefix) => url.startsWith(prefix))) return undefined;
  // The URL itself is not echoed: it may carry PHI.
  return `the ${shown(name)} URL on <${shown(element)}> uses the scheme "${shown(scheme)}:", which is not allowed (only ${[...allowedSchemes].join(', ')}, relative URLs, and data:image/… in <img src>)`;
}

/** The scheme of a URL, or undefined for a relative one (no ':' before the first '/', '?' or '#'). */
function schemeOf(url: string): string | undefined {
  for (let i = 0; i < url.length; i++) {
    const c = url.charCodeAt(i);
    if (c === 0x3a /* : */) return i === 0 ? '' : url.slice(0, i);
    if (c === 0x2f || c === 0x3f || c === 0x23) return undefined;
  }
  return undefined;
}

/** Inline styles are allowed; ones that fetch (external stylesheet references) or run code are not. */
function styleProblem(value: string, where: string): string | undefined {
  // Lower-cased, without whitespace and CSS comments, so "U R L (" or "ur/**/l(" cannot hide.
  let css = '';
  for (let i = 0; i < value.length; i++) {
    if (value.startsWith('/*', i)) {
      const end = value.indexOf('*/', i + 2);
      if (end < 0) break;
      i = end + 1;
    } else if (value.charCodeAt(i) > 0x20) {
      css += value.charAt(i);
    }
  }
  css = css.toLowerCase();
  const forbidden = ['\\', 'url(', 'image-set(', '@import', 'expression(', 'javascript:', 'vbscript:', 'behavior:', '-moz-binding'];
  const found = forbidden.find((token) => css.includes(token));
  if (found === undefined) return undefined;
  return `the ${where} may not load resources or run code (found ${found === '\\' ? 'a CSS escape' : found})`;
}

/** Reads character data [from, to); returns whether it holds anything but XML whitespace. */
function readText(div: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    if (div.charCodeAt(i) === 0x3e /* > */ && div.startsWith(']]>', i - 2) && i - 2 >= from) throw new Malformed("']]>' in text");
  }
  return decode(div, from, to).content;
}

/**
 * Decodes entity and character references in [from, to) of `source`, checking each character is
 * one XML allows. Named HTML entities decode to U+FFFD: only whitespace and URL schemes matter here,
 * and none of them is ASCII.
 */
function decode(source: string, from: number, to: number): { text: string; content: boolean } {
  let text = '';
  let content = false;
  let i = from;
  while (i < to) {
    const c = source.charCodeAt(i);
    if (c === 0x26 /* & */) {
      const semicolon = boundedIndexOf(source, ';', i + 1, Math.min(to, i + maxEntityLength));
      if (semicolon < 0) throw new Malformed("a '&' that starts no entity (write it as &amp;)");
      const ref = source.slice(i + 1, semicolon);
      const char = entityChar(ref);
      if (char === undefined) throw new Malformed(`the entity &${shown(ref)}; is unknown or not an allowed character`);
      if (!isXmlSpace(char.charCodeAt(0))) content = true;
      text += char;
      i = semicolon + 1;
      continue;
    }
    if (!isXmlChar(source, i)) throw new Malformed(`a character XML does not allow (U+${c.toString(16).toUpperCase().padStart(4, '0')})`);
    if (!isXmlSpace(c)) content = true;
    text += source.charAt(i);
    i += 1;
  }
  return { text, content };
}

function entityChar(ref: string): string | undefined {
  if (ref.startsWith('#')) {
    const hex = ref.startsWith('#x');
    const digits = ref.slice(hex ? 2 : 1);
    if (digits === '') return undefined;
    for (let i = 0; i < digits.length; i++) {
      const c = digits.charCodeAt(i);
      const ok = (c >= 0x30 && c <= 0x39) || (hex && ((c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)));
      if (!ok) return undefined;
    }
    const code = Number.parseInt(digits, hex ? 16 : 10);
    if (!isXmlCodePoint(code)) return undefined;
    return String.fromCodePoint(code);
  }
  if (!namedEntities.has(ref)) return undefined;
  return xmlEntities[ref] ?? '\uFFFD';
}

/** XML 1.0 Char: tab, LF, CR, U+0020–U+D7FF, U+E000–U+FFFD, U+10000–U+10FFFF. */
function isXmlCodePoint(code: number): boolean {
  return code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff);
}

/** Whether the UTF-16 unit at i is (part of) an XML Char: surrogates must come in pairs. */
function isXmlChar(source: string, i: number): boolean {
  const c = source.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff) {
    const next = source.charCodeAt(i + 1);
    return next >= 0xdc00 && next <= 0xdfff;
  }
  if (c >= 0xdc00 && c <= 0xdfff) {
    const previous = source.charCodeAt(i - 1);
    return previous >= 0xd800 && previous <= 0xdbff;
  }
  return isXmlCodePoint(c);
}

function isXmlSpace(c: number): boolean {
  return c === 0x20 || c === 0x9 || c === 0xa || c === 0xd;
}

function skipSpace(s: string, from: number): number {
  let i = from;
  while (i < s.length && isXmlSpace(s.charCodeAt(i))) i += 1;
  return i;
}

/** End of an (ASCII) XML name starting at `from`; equals `from` when there is none. */
function nameEndAt(s: string, from: number): number {
  let i = from;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    const letter = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === 0x3a;
    const other = (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e;
    if (!(letter || (other && i > from))) break;
    i += 1;
  }
  return i;
}

function indexOrEnd(s: string, search: string, from: number): number {
  const index = s.indexOf(search, from);
  return index < 0 ? s.length : index;
}

function boundedIndexOf(s: string, char: string, from: number, to: number): number {
  for (let i = from; i < to; i++) if (s[i] === char) return i;
  return -1;
}

/** A name as shown in diagnostics: names are ASCII by construction; long ones are cut. */
function shown(name: string): string {
  return name.length > 40 ? `${name.slice(0, 40)}…` : name;
}
