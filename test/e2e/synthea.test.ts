import { beforeAll, describe, expect, it } from 'vitest';
import { isResourceType, patientCompartmentParams } from '../../lambdas/fhir/registry/registry';
import { extractSearchValues } from '../../lambdas/search/extract-search-values';
import { allPages, bootLocalStack, referencesOf, type BundleEntry } from '../support/e2e-stack';
import { hasSharedData, syntheaBundles } from '../support/shared-data';
import { loadInDependencyOrder, planLoad, type JsonObject, type LoadFailure, type PlannedResource } from '../support/synthea-loader';

/**
 * Five real patient records (Synthea transaction Bundles, ../shared/data/synthea) loaded over
 * HTTP by the integration user, entry by entry: there is no transaction endpoint yet. Each
 * resource is PUT under an id the loader chose, after the resources it refers to, with its
 * `urn:uuid:` references rewritten (see test/support/synthea-loader.ts for why ids are
 * client-assigned). Then each patient's `$everything`, page after page, must be exactly the
 * resources of that bundle in the patient's compartment.
 */
/**
 * A resource is in a patient's compartment when it is that Patient, or when a compartment
 * parameter of its type (the official R4 Patient CompartmentDefinition) refers to the Patient;
 * the parameters' values come from the official SearchParameter expressions.
 */
function inCompartment(resource: JsonObject & { resourceType: string; id: string }, patient: string): boolean {
  if (resource.resourceType === 'Patient') return `Patient/${resource.id}` === patient;
  if (!isResourceType(resource.resourceType)) return false;
  const values = extractSearchValues(resource);
  return patientCompartmentParams(resource.resourceType).some((param) => (values[param] ?? []).includes(patient));
}

describe.skipIf(!hasSharedData)('the Synthea records, loaded entry by entry', () => {
  const stack = bootLocalStack();
  const records = hasSharedData
    ? syntheaBundles().map((bundle) => {
        const planned = planLoad(bundle);
        const patient = planned.find((item) => item.resource.resourceType === 'Patient')!.reference;
        // `Type/id` of the resources $everything must list, sorted.
        const expected = planned.filter((item) => inCompartment(item.resource, patient)).map((item) => item.reference).sort();
        return { file: bundle.file, planned, patient, expected };
      })
    : [];
  const failures: LoadFailure[] = [];
  const everything = new Map<string, BundleEntry[]>();

  beforeAll(async () => {
    const all = records.flatMap((record) => record.planned);
    const put = async ({ reference, resource }: PlannedResource) => {
      const response = await stack.request(`/${reference}`, { method: 'PUT', body: resource });
      return { status: response.status, body: await response.text() };
    };
    // Eight writes in flight at most: what a careful loader does against a shared API.
    failures.push(...(await loadInDependencyOrder(all, put, { concurrency: 8, expectedStatus: 201 })));
    for (const { patient } of records) everything.set(patient, (await allPages(stack, `/${patient}/$everything?_count=100`)).entries);
  }, 300_000);

  it('finds every reference of the bundles inside the bundles, pointing only to earlier entries', () => {
    for (const { planned } of records) {
      const position = new Map(planned.map((item, index) => [item.reference, index]));
      const forward = planned.flatMap((item, index) => [...item.dependsOn].filter((target) => position.get(target)! > index).map((target) => `${item.reference} → ${target}`));
      expect(forward).toEqual([]);
    }
  });

  it('stores every resource of the five bundles: each PUT creates its resource (201)', () => {
    expect(records).toHaveLength(5);
    expect(failures).toEqual([]);
  });

  it('expects, by the CompartmentDefinition, every resource of a bundle but its Organization and Practitioner', () => {
    // A check on the expectation itself: Synthea links every clinical and financial resource to the patient.
    for (const { planned, expected } of records) {
      const outside = planned.filter((item) => !expected.includes(item.reference)).map((item) => item.resource.resourceType);
      expect(outside.sort()).toEqual(['Organization', 'Practitioner']);
    }
  });

  it.each(records.map((record) => [record.file, record] as const))('$everything of %s lists exactly its compartment, across pages', (_file, { patient, expected }) => {
    expect(referencesOf(everything.get(patient) ?? [])).toEqual(expected);
  });

  it('returns every resource through $everything as it was loaded (apart from versionId and lastUpdated)', () => {
    const strip = (resource: unknown) => {
      const { meta, ...rest } = resource as { meta?: Record<string, unknown> };
      const kept = Object.fromEntries(Object.entries(meta ?? {}).filter(([name]) => name !== 'versionId' && name !== 'lastUpdated'));
      return Object.keys(kept).length > 0 ? { ...rest, meta: kept } : rest;
    };
    for (const { planned, patient } of records) {
      const loaded = new Map(planned.map((item) => [item.reference, item.resource]));
      for (const entry of everything.get(patient) ?? []) {
        const reference = `${entry.resource?.resourceType}/${entry.resource?.id}`;
        expect(strip(entry.resource), reference).toEqual(strip(loaded.get(reference)));
      }
    }
  });
});
