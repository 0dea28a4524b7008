import type { IssueType, OutcomeIssue } from '../fhir/errors';

/**
 * What every Bundle module shares: how an entry is named in errors, and the three `fullUrl`
 * forms R4 allows (bundle.html#bundle-unique): an absolute URL, `urn:uuid:`, `urn:oid:`.
 */

/** Where an entry sits in its Bundle: errors name it by both, as clients know it by either. */
export interface EntryLabel {
  /** Zero-based position in `Bundle.entry`, as FHIRPath counts. */
  readonly index: number;
  readonly fullUrl?: string;
  /** An NDJSON resource is named by its one-based line instead. */
  readonly line?: number;
}

export type JsonObject = Record<string, unknown>;

export function entryName(entry: EntryLabel): string {
  const position = entry.line === undefined ? `entry[${entry.index}]` : `line ${entry.line}`;
  return `${position}${entry.fullUrl === undefined ? '' : ` (${entry.fullUrl})`}`;
}

/** An issue about one entry; `element` is the path inside the entry (`request.url`). */
export function entryIssue(entry: EntryLabel, diagnostics: string, element?: string, code: IssueType = 'invalid'): OutcomeIssue {
  return {
    severity: 'error',
    code,
    diagnostics: `${entry.line === undefined ? 'Bundle ' : ''}${entryName(entry)}: ${diagnostics}`,
    expression: [`Bundle.entry[${entry.index}]${element === undefined ? '' : `.${element}`}`],
  };
}

const uuidUrn = /^urn:uuid:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
// The R4 `oid` datatype's pattern.
const oidUrn = /^urn:oid:[0-2](\.(0|[1-9][0-9]*))+$/;
const localUrn = /^urn:(uuid|oid):/;

export type FullUrlForm = 'uuid' | 'oid' | 'absolute';

/** The form of a fullUrl, or undefined when it has none of the three R4 allows. */
export function fullUrlForm(fullUrl: string): FullUrlForm | undefined {
  if (uuidUrn.test(fullUrl)) return 'uuid';
  if (oidUrn.test(fullUrl)) return 'oid';
  if (/^https?:\/\/[^\s#]+$/.test(fullUrl) && URL.canParse(fullUrl)) return 'absolute';
  return undefined;
}

/** `urn:uuid:` and `urn:oid:` name a resource inside its Bundle only: a reference to one the Bundle lacks resolves nowhere. */
export function isBundleLocalUrn(value: string): boolean {
  return localUrn.test(value);
}

const restfulUrl = /^(https?:\/\/.+)\/([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/;

/** An absolute RESTful URL split as `[base]/[type]/[id]` (R4 references.html#literal), or undefined. */
export function splitRestfulUrl(url: string): { base: string; resourceType: string; id: string } | undefined {
  const match = restfulUrl.exec(url);
  if (!match?.[1] || !match[2] || !match[3]) return undefined;
  return { base: match[1], resourceType: match[2], id: match[3] };
}
