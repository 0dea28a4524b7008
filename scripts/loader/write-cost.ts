import type { TransactionEntry, WriteCost } from '../../lambdas/bundle/chunking';
import { toPlainJson } from '../../lambdas/fhir/json';
import { isResourceType } from '../../lambdas/fhir/registry/registry';
import { compartmentsOf, identifiersOf } from '../../lambdas/record/index-facts';
import { extractSearchValues } from '../../lambdas/search/extract-search-values';

/**
 * The TransactWriteItems actions one entry costs, as the record store commits a version
 * (docs/bundles.md): the version item, one `ident#` item per identifier with a system, one `cmp#`
 * item per patient compartment, and a guard for an `ifNoneExist`; the journal's subjects, one item each per transaction.
 */
export function writeCostOf(entry: TransactionEntry): WriteCost {
  const { resource } = entry;
  const resourceType = String(resource.resourceType);
  if (!isResourceType(resourceType)) return { items: 1, patients: [] };
  const values = extractSearchValues(toPlainJson(resource) as Record<string, unknown>);
  // A conditional entry's id is the server's to find; its own compartment (a Patient's) is counted all the same.
  const patients = compartmentsOf(resourceType, typeof resource.id === 'string' ? resource.id : 'pending', values);
  const items = 1 + identifiersOf(values).length + patients.length + (entry.request.ifNoneExist === undefined ? 0 : 1);
  // A resource in no compartment (an Organization) is journaled under its type: one more item per type.
  return { items, patients: patients.length > 0 ? patients : [resourceType] };
}
