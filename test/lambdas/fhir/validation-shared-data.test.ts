import { describe, expect, it } from 'vitest';
import type { OutcomeIssue } from '../../../lambdas/fhir/errors';
import { validateResource } from '../../../lambdas/fhir/validation';
import { invalidHl7Examples, invariantGaps, structureGaps } from '../../../lambdas/fhir/validation/known-gaps';
import {
  allHl7Examples,
  allSyntheaResources,
  allValidatorCases,
  hasSharedData,
  isAtOrInside,
  parseValidatorCase,
  syntheaTransactionBundles,
  type ValidatorCaseFile,
} from '../../support/shared-data';

/**
 * The validator against real data written outside this project (../shared/data): HL7's 747 R4
 * examples, the Synthea bundles, and the Java reference validator's test cases. Nothing is
 * skipped silently: the exceptions and known gaps are listed by name, with the reason, in
 * lambdas/fhir/validation/known-gaps.ts, and a listed case that starts to agree fails the test
 * as surely as a new disagreement.
 */

const pointsAtElement = (issue: OutcomeIssue): boolean => /^[A-Z][A-Za-z]*[.[]/.test(issue.expression?.[0] ?? '');

/** Whether an issue names an element the reference validator flags, or an element inside it. */
function agreesOnLocation(issues: OutcomeIssue[], entry: ValidatorCaseFile): boolean {
  return issues.some((issue) => entry.referenceExpressions.some((reference) => isAtOrInside(issue.expression?.[0] ?? '', reference)));
}

function validate(resource: Record<string, unknown>): OutcomeIssue[] {
  return validateResource(String(resource.resourceType), resource);
}

describe.skipIf(!hasSharedData)('validation on the shared FHIR data (../shared/data)', () => {
  it('accepts every HL7 R4 example, of every resource type', () => {
    const examples = allHl7Examples();
    expect(examples).toHaveLength(747);
    const refused = Object.fromEntries(examples.flatMap(({ file, resource }) => {
      const issues = validate(resource);
      return issues.length > 0 ? [[file, issues]] : [];
    }));
    expect(Object.keys(refused).sort()).toEqual(Object.keys(invalidHl7Examples).sort());
  });

  it('accepts every resource inside the five Synthea bundles, and the bundles themselves', () => {
    const resources = allSyntheaResources();
    expect(resources.length).toBeGreaterThan(900);
    for (const { file, resource } of resources) expect(validate(resource), `${file} ${String(resource.resourceType)}`).toEqual([]);
    const bundles = syntheaTransactionBundles();
    expect(bundles).toHaveLength(5);
    for (const { file, bundle } of bundles) expect(validateResource('Bundle', bundle), file).toEqual([]);
  });

  it('accepts every validator case the reference validator finds valid', () => {
    const cases = allValidatorCases().filter((entry) => entry.expected_valid);
    expect(cases).toHaveLength(37);
    for (const entry of cases) {
      const resource = parseValidatorCase(entry.text);
      expect(resource, entry.name).toBeDefined();
      expect(validate(resource ?? {}), entry.name).toEqual([]);
    }
  });

  it('rejects every structure-tier case, naming an element the reference validator flags too', () => {
    const cases = allValidatorCases().filter((entry) => entry.tier === 'structure' && !entry.expected_valid);
    expect(cases).toHaveLength(31);
    const missed: string[] = [];
    for (const entry of cases) {
      const resource = parseValidatorCase(entry.text);
      expect(resource, `${entry.name} is JSON`).toBeDefined();
      const issues = validate(resource ?? {});
      if (issues.length === 0) {
        missed.push(entry.name);
        continue;
      }
      expect(issues.some(pointsAtElement), entry.name).toBe(true);
      expect(agreesOnLocation(issues, entry), `${entry.name}: ${JSON.stringify(issues)} vs ${JSON.stringify(entry.referenceExpressions)}`).toBe(true);
    }
    expect(missed.sort()).toEqual(Object.keys(structureGaps).sort());
  });

  it('misses exactly the invariant-tier cases listed as gaps (FHIRPath invariants are not checked)', () => {
    const cases = allValidatorCases().filter((entry) => entry.tier === 'invariant');
    const accepted = cases.filter((entry) => validate(parseValidatorCase(entry.text) ?? {}).length === 0).map((entry) => entry.name);
    expect(accepted.sort()).toEqual(Object.keys(invariantGaps).sort());
  });

  it('leaves parse-tier cases to the JSON parser: none of them is JSON', () => {
    const cases = allValidatorCases().filter((entry) => entry.tier === 'parse');
    expect(cases).toHaveLength(9);
    for (const entry of cases) expect(parseValidatorCase(entry.text), entry.name).toBeUndefined();
  });
});
