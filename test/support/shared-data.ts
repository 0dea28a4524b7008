import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

/**
 * Real FHIR data written outside this project (../shared/data beside the clone). CI has it; a
 * fresh clone elsewhere does not, so the tests that use it skip and say why.
 */
export const sharedDataDir = path.resolve(__dirname, '..', '..', '..', 'shared', 'data');
export const hasSharedData = existsSync(sharedDataDir);
if (!hasSharedData) console.warn(`Skipping tests on shared FHIR data: ${sharedDataDir} is absent (it sits beside the clone in CI).`);

export function hl7Examples(resourceType: string): { file: string; resource: Record<string, unknown> }[] {
  const dir = path.join(sharedDataDir, 'r4-examples');
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .map((file) => ({ file, resource: JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as Record<string, unknown> }))
    .filter(({ resource }) => resource.resourceType === resourceType);
}

export interface ValidatorCase {
  readonly name: string;
  readonly tier: string;
  readonly expected_valid: boolean;
  readonly resource: Record<string, unknown>;
}

/** The validator cases of one resource type that parse as JSON. */
export function validatorCases(resourceType: string): ValidatorCase[] {
  const dir = path.join(sharedDataDir, 'validator-cases');
  const index = JSON.parse(readFileSync(path.join(dir, 'index.json'), 'utf8')) as { cases: (Omit<ValidatorCase, 'resource'> & { case_path: string })[] };
  return index.cases.flatMap((entry) => {
    try {
      const resource = JSON.parse(readFileSync(path.join(dir, entry.case_path), 'utf8')) as Record<string, unknown>;
      return resource.resourceType === resourceType ? [{ ...entry, resource }] : [];
    } catch {
      return [];
    }
  });
}

/** The resources of one type inside the Synthea transaction bundles. */
export function syntheaResources(resourceType: string): { file: string; resource: Record<string, unknown> }[] {
  const dir = path.join(sharedDataDir, 'synthea');
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .flatMap((file) => {
      const bundle = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as { entry?: { resource?: Record<string, unknown> }[] };
      return (bundle.entry ?? []).flatMap(({ resource }) => (resource?.resourceType === resourceType ? [{ file, resource }] : []));
    });
}

/** Paths of every HL7 R4 example file, for tests that read the raw text. */
export function allHl7ExampleFiles(): string[] {
  const dir = path.join(sharedDataDir, 'r4-examples');
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => path.join(dir, file));
}

/** Every HL7 R4 example, whatever its type. */
export function allHl7Examples(): { file: string; resource: Record<string, unknown> }[] {
  return allHl7ExampleFiles().map((file) => ({ file: path.basename(file), resource: JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown> }));
}

export interface SyntheaBundle {
  readonly file: string;
  readonly entries: readonly { readonly fullUrl?: string; readonly resource: Record<string, unknown> }[];
}

/** The Synthea transaction bundles, whole: their entries keep their `urn:uuid:` fullUrls. */
export function syntheaBundles(): SyntheaBundle[] {
  const dir = path.join(sharedDataDir, 'synthea');
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .map((file) => {
      const bundle = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as { entry?: { fullUrl?: string; resource?: Record<string, unknown> }[] };
      const entries = (bundle.entry ?? []).flatMap(({ fullUrl, resource }) => (resource ? [fullUrl === undefined ? { resource } : { fullUrl, resource }] : []));
      return { file, entries };
    });
}

/** Every resource inside the Synthea transaction bundles, whatever its type. */
export function allSyntheaResources(): { file: string; resource: Record<string, unknown> }[] {
  const dir = path.join(sharedDataDir, 'synthea');
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .flatMap((file) => {
      const bundle = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as { entry?: { resource?: Record<string, unknown> }[] };
      return (bundle.entry ?? []).flatMap(({ resource }) => (resource ? [{ file, resource }] : []));
    });
}

/** The Synthea transaction bundles as they are on disk (resourceType Bundle, entries with their requests). */
export function syntheaTransactionBundles(): { file: string; bundle: Record<string, unknown> }[] {
  const dir = path.join(sharedDataDir, 'synthea');
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => ({ file, bundle: JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as Record<string, unknown> }));
}

export interface ValidatorCaseFile {
  readonly name: string;
  readonly tier: string;
  readonly expected_valid: boolean;
  /** The reference (Java) validator's error texts. */
  readonly errors: readonly string[];
  /** The case file's text, as submitted. */
  readonly text: string;
  /** The FHIRPath expressions of the reference validator's errors and fatal issues. */
  readonly referenceExpressions: readonly string[];
}

/** Every validator case, whether or not it parses as JSON. */
export function allValidatorCases(): ValidatorCaseFile[] {
  const dir = path.join(sharedDataDir, 'validator-cases');
  const index = JSON.parse(readFileSync(path.join(dir, 'index.json'), 'utf8')) as {
    cases: { name: string; tier: string; expected_valid: boolean; errors?: string[]; case_path: string; expected_outcome: string }[];
  };
  return index.cases.map((entry) => {
    const outcome = JSON.parse(readFileSync(path.join(dir, entry.expected_outcome), 'utf8')) as { issue?: { severity?: string; expression?: string[]; location?: string[] }[] };
    const referenceExpressions = (outcome.issue ?? [])
      .filter((issue) => issue.severity === 'error' || issue.severity === 'fatal')
      .flatMap((issue) => issue.expression ?? issue.location ?? []);
    return { name: entry.name, tier: entry.tier, expected_valid: entry.expected_valid, errors: entry.errors ?? [], text: readFileSync(path.join(dir, entry.case_path), 'utf8'), referenceExpressions };
  });
}

/**
 * A case's resource as the API would read it: the text with a leading byte-order mark dropped
 * (lambdas/fhir/json.ts decodes bodies so), through JSON.parse; undefined when that fails.
 */
export function parseValidatorCase(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text.replace(/^\uFEFF/, ''));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A reference-validator expression as FHIR JSON names the element: without the comments the Java
 * validator embeds (the type and id of an entry's resource), without `[url='…']` filters, and
 * with `value.ofType(Quantity)` read as `valueQuantity`.
 */
export function normalizeReferenceExpression(expression: string): string {
  return expression
    .replace(/\/\*.*?\*\//g, '')
    .replace(/\[[a-z]+='[^']*'\]/g, '')
    .replace(/\.([a-z][A-Za-z]*)\.ofType\(([A-Za-z]+)\)/g, (_, name: string, type: string) => `.${name}${type.charAt(0).toUpperCase()}${type.slice(1)}`);
}

/** Whether an expression names the element a reference-validator expression names, or one inside it. */
export function isAtOrInside(expression: string, referenceExpression: string): boolean {
  const reference = normalizeReferenceExpression(referenceExpression);
  return expression === reference || expression.startsWith(`${reference}.`) || expression.startsWith(`${reference}[`);
}
