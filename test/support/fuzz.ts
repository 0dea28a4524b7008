import type { APIGatewayProxyResult } from 'aws-lambda';
import fc from 'fast-check';
import * as path from 'node:path';
import { expect } from 'vitest';
import { securityHeaders } from '../../lambdas/contracts/security-headers';

/**
 * Hostile-input arbitraries and the response properties the fuzz suites check, shared by the
 * in-process suite (test/fuzz) and the one over HTTP (test/e2e/fuzz-over-http.test.ts).
 */

/**
 * fast-check parameters of one property. A run uses a fresh seed, which fast-check prints with the
 * counterexample when a property fails; `FUZZ_SEED=<seed>` replays that run exactly.
 */
export function fuzzRuns(numRuns: number): fc.Parameters<unknown> {
  const seed = process.env.FUZZ_SEED;
  return { numRuns, ...(seed ? { seed: Number(seed) } : {}) };
}

/** A response as the properties read it, whether it came from a handler or over HTTP. */
export interface Answer {
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export function answerOfResult(result: APIGatewayProxyResult): Answer {
  const headers = Object.fromEntries(Object.entries(result.headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)]));
  return { status: result.statusCode, headers, body: result.isBase64Encoded ? Buffer.from(result.body, 'base64').toString('utf8') : result.body };
}

export async function answerOfResponse(response: Response): Promise<Answer> {
  return { status: response.status, headers: Object.fromEntries(response.headers), body: await response.text() };
}

const repositoryRoot = path.resolve(__dirname, '..', '..');
// A V8 stack frame (`at fn (/file.ts:12:5)`, `at /file.js:3:9`), in any body, whatever the status.
const stackFrame = /\bat (?:\S+ \()?(?:file:\/\/|\/|[A-Za-z]:\\|node:)[^\s)]*:\d+:\d+/;

/** What the client sees carries neither a stack trace nor a path of the server's file system. */
export function expectNoInternals(answer: Answer): void {
  expect(answer.body, `${answer.status} ${answer.body.slice(0, 300)}`).not.toMatch(stackFrame);
  expect(answer.body).not.toContain(repositoryRoot);
  expect(answer.body).not.toContain('node_modules');
}

/** Every response, errors included, carries the security headers (lambdas/contracts/security-headers.ts). */
export function expectSecurityHeaders(answer: Answer): void {
  for (const [name, value] of Object.entries(securityHeaders)) expect(answer.headers[name.toLowerCase()], `${name} on a ${answer.status}`).toBe(value);
}

/** A refusal as clients must get it: a 4xx, never a 5xx, with a FHIR JSON OperationOutcome that explains it. */
export function expectRefusal(answer: Answer): void {
  const summary = `${answer.status} ${answer.body.slice(0, 300)}`;
  expect(answer.status, summary).toBeGreaterThanOrEqual(400);
  expect(answer.status, summary).toBeLessThan(500);
  expectOutcomeBody(answer);
}

/** Any answer but a server error: a success, or a refusal as `expectRefusal` checks it. */
export function expectNoServerError(answer: Answer): void {
  if (answer.status >= 400) expectRefusal(answer);
  else {
    expectNoInternals(answer);
    expectSecurityHeaders(answer);
  }
}

function expectOutcomeBody(answer: Answer): void {
  expect(answer.headers['content-type'], answer.body.slice(0, 300)).toMatch(/^application\/fhir\+json/);
  const outcome = JSON.parse(answer.body) as { resourceType?: unknown; issue?: { severity?: unknown; code?: unknown }[] };
  expect(outcome.resourceType).toBe('OperationOutcome');
  expect(outcome.issue?.[0]).toMatchObject({ severity: expect.stringMatching(/^(fatal|error)$/) as unknown, code: expect.any(String) as unknown });
  expectNoInternals(answer);
  expectSecurityHeaders(answer);
}

// ---- arbitraries ----

/** Characters that trip up parsers, normalisers, logs and displays. */
export const trickyCharacters = [
  '\u0000', // NUL: truncates C strings
  '\uD800', // a lone high surrogate
  '\uDFFF', // a lone low surrogate
  '\uFEFF', // a byte order mark
  '\u202E', // right-to-left override: reverses what a reader sees
  '\u200B', // zero-width space
  '\u0430', // Cyrillic a, a homoglyph of Latin a
  '\u0435', // Cyrillic e
  '\u0301', // a combining acute accent on nothing
  '\r\n', // CRLF: header and log injection
  '\u2028', // line separator: ends a JavaScript string literal in older engines
  '\u001b[31m', // an ANSI escape sequence
  '\\',
  '"',
  '%00',
  '%',
  '%C3%28', // percent-encoded invalid UTF-8
  '../',
  '%2e%2e%2f',
  '..\\',
] as const;

/** Text with tricky characters mixed into ordinary ones, of any length up to `maxLength` units. */
export function trickyString(maxLength = 40): fc.Arbitrary<string> {
  const unit = fc.oneof(fc.constantFrom(...trickyCharacters), fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 3 }), fc.string({ unit: 'binary', minLength: 1, maxLength: 2 }));
  return fc.array(unit, { minLength: 1, maxLength }).map((parts) => parts.join(''));
}

export const prototypeKeys = ['__proto__', 'constructor', 'prototype'] as const;

/** Fragments of injection attacks on query languages: DynamoDB expressions, SQL, MongoDB, LDAP, paths. */
export const injectionPayloads = [
  "' OR 1=1 --",
  '" OR ""="',
  '1; DROP TABLE record',
  '#pk = :pk OR attribute_exists(pk)',
  ':pk',
  'begins_with(pk, :x)',
  'pk <> :v',
  '{"$where":"sleep(1000)"}',
  '{"$gt":""}',
  '$where',
  '*)(uid=*',
  '%00',
  '\u0000',
  '\r\nX-Injected: 1',
  '%0d%0aSet-Cookie:x=1',
  '../../etc/passwd',
  '${jndi:ldap://x}',
  '<script>alert(1)</script>',
  '|',
  '\\|',
  '$',
  ',',
] as const;

/** A search value that is an injection attempt: it starts with one of the payloads, so it cannot be a prefix of stored text. */
export const injectionValue: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom(...injectionPayloads), fc.option(trickyString(8), { nil: '' }))
  .map(([payload, tail]) => payload + tail);

/** A path id no FHIR id can be: path traversal, too long, or with a character outside [A-Za-z0-9.-]. */
export const invalidId: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('..', '../Patient/x', '..%2f..%2f', '%2e%2e', 'a/b', 'a\\b', '', ' ', 'a b', 'x\u0000', 'x%00', '\uFEFFx', 'p\u0430t', '*', '_history'),
  fc.string({ unit: fc.constantFrom(...'abcXYZ019-.'), minLength: 65, maxLength: 300 }),
  fc.tuple(fc.string({ unit: fc.constantFrom(...'abc01-.'), maxLength: 30 }), trickyString(5)).map(([head, tail]) => head + tail),
).filter((id) => !/^[A-Za-z0-9\-.]{1,64}$/.test(id));

/**
 * A JSON text of unbounded depth as a recursive parser must not see it: `depth` arrays or objects,
 * mixed, with a `__proto__` key at some levels.
 */
export const deeplyNestedJson: fc.Arbitrary<string> = fc.tuple(fc.integer({ min: 90, max: 50_000 }), fc.constantFrom('[', '{"a":', '{"__proto__":', '[{"b":')).map(([depth, opener]) => {
  const closer = opener.startsWith('[{') ? '}]' : opener.startsWith('[') ? ']' : '}';
  return `{"resourceType":"Patient","extension":${opener.repeat(depth)}1${closer.repeat(depth)}}`;
});

/** Values of every JSON type, for elements that expect another. */
export const anyJsonValue: fc.Arbitrary<unknown> = fc.jsonValue({ maxDepth: 3 });
