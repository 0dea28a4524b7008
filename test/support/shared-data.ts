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
    .map((file) => ({ file, resource: JSON.parse(readFileSync(path.join(dir, file), 'utf8')) }))
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
      const resource = JSON.parse(readFileSync(path.join(dir, entry.case_path), 'utf8'));
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
