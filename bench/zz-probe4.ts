import { performance } from 'node:perf_hooks';
import { validateResource } from '../lambdas/fhir/validation';
import { extractSearchValues } from '../lambdas/search/extract-search-values';
import { indexEntriesFor } from '../lambdas/search/index-entries';
const obs = (i: number) => ({ resourceType: 'Observation', id: `x${i}`, meta: { versionId: '1', lastUpdated: '2024-01-01T10:00:00Z' }, status: 'final', category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }], code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }], text: 'Heart rate' }, subject: { reference: `Patient/p${i % 30}` }, encounter: { reference: `Encounter/e${i % 300}` }, effectiveDateTime: '2024-01-01T10:00:00Z', issued: '2024-01-01T10:00:00Z', valueQuantity: { value: 60 + (i % 40), unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' } });
for (let round = 0; round < 3; round++) {
  let t = performance.now();
  for (let i = 0; i < 1000; i++) validateResource('Observation', obs(i));
  const v = performance.now() - t; t = performance.now();
  let sv: any;
  for (let i = 0; i < 1000; i++) sv = extractSearchValues(obs(i) as any);
  const e = performance.now() - t;
  console.log('validate ms/1000', v.toFixed(0), 'extract ms/1000', e.toFixed(0), indexEntriesFor('Observation', 'x', sv).length);
}
