import { createPatientSchema } from '@solarahealth/fhir-r4';
import type { OutcomeIssue } from './errors';

/**
 * Structural validation of a FHIR R4 resource against the generated R4 Zod schemas
 * (@solarahealth/fhir-r4): unknown elements, wrong types, bad codes and malformed
 * primitives are rejected. Only the types the API serves have a validator here, so the
 * write function bundles just those schemas.
 */
interface ResourceSchema {
  safeParse(value: unknown): { success: true } | { success: false; error: { issues: readonly SchemaIssue[] } };
}
interface SchemaIssue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

const schemaFactories: Record<string, () => ResourceSchema> = {
  Patient: createPatientSchema,
};
const schemas = new Map<string, ResourceSchema>();

/** Returns the problems found; an empty list means the resource is structurally valid. */
export function validateResource(resourceType: string, resource: unknown): OutcomeIssue[] {
  let schema = schemas.get(resourceType);
  if (!schema) {
    const factory = schemaFactories[resourceType];
    if (!factory) throw new Error(`No validator for ${resourceType}`);
    schema = factory();
    schemas.set(resourceType, schema);
  }
  const result = schema.safeParse(withNullPlaceholdersFilled(resource));
  if (result.success) return [];
  return result.error.issues.filter((issue) => !isLenientUrl(issue, resource)).map((issue) => ({
    severity: 'error',
    code: 'structure',
    diagnostics: issue.message,
    expression: [fhirPath(resourceType, issue.path)],
  }));
}

function fhirPath(resourceType: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (expr, part) => (typeof part === 'number' ? `${expr}[${part}]` : `${expr}.${String(part)}`),
    resourceType,
  );
}

/*
 * Two places where the generated schemas are stricter than R4 JSON; HL7's own examples hit both.
 */

/** R4 JSON: in `_element` arrays that parallel a primitive array, null marks a value without extensions. */
function withNullPlaceholdersFilled(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((item) => (item === null && key.startsWith('_') ? {} : withNullPlaceholdersFilled(item)));
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([name, child]) => [name, withNullPlaceholdersFilled(child, name)]));
}

/** R4's `url` type is any string without whitespace (relative URLs such as `Binary/f006` included). */
function isLenientUrl(issue: SchemaIssue, resource: unknown): boolean {
  if (issue.message !== 'Invalid URL') return false;
  const value = issue.path.reduce<unknown>((node, part) => (node as Record<PropertyKey, unknown> | undefined)?.[part], resource);
  return typeof value === 'string' && /^\S+$/.test(value);
}
