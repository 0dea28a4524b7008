import { Invalid, type OutcomeIssue } from '../fhir/errors';
import { parseFhirJson } from '../fhir/json';
import type { JsonObject } from './entries';

/**
 * FHIR NDJSON (Bulk Data): one resource per line, as exports write them. Each line is parsed on
 * its own with the same strict, lossless parser as a request body, so one bad line is one
 * refusal with its line number, never the loss of the file.
 */

export interface NdjsonResource {
  /** One-based, as editors count. */
  readonly line: number;
  readonly resource: JsonObject & { readonly resourceType: string };
}

export interface NdjsonProblem {
  readonly line: number;
  readonly issues: readonly OutcomeIssue[];
}

export interface NdjsonContent {
  readonly resources: readonly NdjsonResource[];
  readonly problems: readonly NdjsonProblem[];
}

/** Blank lines are skipped; CRLF line ends are accepted. */
export function parseNdjson(text: string): NdjsonContent {
  const resources: NdjsonResource[] = [];
  const problems: NdjsonProblem[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = index + 1;
    const content = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (content.trim() === '') return;
    try {
      resources.push({ line, resource: parseNdjsonLine(content) });
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      problems.push({ line, issues: error.issues.map((issue) => ({ ...issue, diagnostics: `line ${line}: ${issue.diagnostics}` })) });
    }
  });
  return { resources, problems };
}

/** One line's resource; Invalid when it is not JSON or not a resource. */
export function parseNdjsonLine(text: string): JsonObject & { readonly resourceType: string } {
  const value = parseFhirJson(text);
  if (typeof value !== 'object' || value === null || Array.isArray(value) || typeof (value as JsonObject).resourceType !== 'string') {
    throw new Invalid('Each NDJSON line must be one FHIR resource, with its resourceType');
  }
  return value as JsonObject & { readonly resourceType: string };
}
