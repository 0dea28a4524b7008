import { patientCompartmentParams, type ResourceType } from '../fhir/registry/registry';
import type { SearchValues, TokenValue } from '../search/search-values';

/**
 * The read-your-writes index facts of one version, from its search values: the patients in
 * whose compartment it sits (the official Patient CompartmentDefinition) and its identifiers
 * that have a system. Both are written in the same transaction as the version.
 */
export function compartmentsOf(resourceType: ResourceType, id: string, values: SearchValues): string[] {
  const patients = new Set<string>(resourceType === 'Patient' ? [`Patient/${id}`] : []);
  for (const param of patientCompartmentParams(resourceType)) {
    for (const value of values[param] ?? []) {
      if (typeof value === 'string' && /^Patient\/[A-Za-z0-9\-.]{1,64}$/.test(value)) patients.add(value);
    }
  }
  return [...patients];
}

export function identifiersOf(values: SearchValues): string[] {
  const identifiers = new Set<string>();
  for (const value of values.identifier ?? []) {
    const token = value as TokenValue;
    if (token.system && token.code) identifiers.add(`${token.system}|${token.code}`);
  }
  return [...identifiers];
}
