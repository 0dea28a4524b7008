import type { OutcomeIssue } from './errors';
import { resourceTypes, validate } from './validation/generated/fhir-r4';
import { toIssues } from './validation/issues';

/**
 * Structural validation of any FHIR R4 (4.0.1) resource: unknown elements, wrong JSON types,
 * missing required elements (choices included), empty arrays and objects, codes outside required
 * value sets, malformed or impossible primitive values (2021-02-30, a time without a zone, bad
 * base64, ids over 64 characters), contained and Bundle entry resources included.
 *
 * The validator is the official R4 JSON schema, patched and compiled ahead of time by
 * scripts/generate-validator.ts (see docs/validator-choice.md); FHIRPath invariants, terminology
 * and profiles are out of its scope (docs/validation.md lists what it misses).
 */

const known = new Set<string>(resourceTypes);

/** Returns the problems found; an empty list means the resource is structurally valid. Never throws. */
export function validateResource(resourceType: string, resource: unknown): OutcomeIssue[] {
  try {
    if (typeof resourceType !== 'string' || !known.has(resourceType)) {
      const name = typeof resourceType === 'string' && /^[A-Za-z]{1,64}$/.test(resourceType) ? ` '${resourceType}'` : '';
      return [{ severity: 'error', code: 'structure', diagnostics: `Unknown resource type${name}: not an R4 resource`, expression: ['resourceType'] }];
    }
    if (typeof resource !== 'object' || resource === null || Array.isArray(resource)) {
      return [{ severity: 'error', code: 'structure', diagnostics: `A ${resourceType} must be a JSON object`, expression: [resourceType] }];
    }
    const declared = (resource as { resourceType?: unknown }).resourceType;
    if (declared !== resourceType) {
      return [
        declared === undefined
          ? { severity: 'error', code: 'required', diagnostics: `Missing required element 'resourceType' (must be '${resourceType}')`, expression: [`${resourceType}.resourceType`] }
          : { severity: 'error', code: 'value', diagnostics: `resourceType must be '${resourceType}'`, expression: [`${resourceType}.resourceType`] },
      ];
    }
    if (validate(resource)) return [];
    return toIssues(resourceType, validate.errors ?? []);
  } catch {
    // Only input the JSON parser would never produce gets here (cycles, getters that throw, nesting
    // deep enough to exhaust the stack): refuse it rather than let it through.
    return [{ severity: 'error', code: 'structure', diagnostics: 'The resource could not be validated: it is not plain JSON, or it is nested too deeply', expression: [typeof resourceType === 'string' ? resourceType : 'resourceType'] }];
  }
}
