import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LoadItem } from '../../../lambdas/bundle/load-entries';
import { readInputs } from '../../../scripts/loader/inputs';
import { scheduleLoad, splitChunk, type PlannedChunk } from '../../../scripts/loader/plan';
import { writeCostOf } from '../../../scripts/loader/write-cost';

/** How the loader orders its transactions: each waits only for the earlier ones it refers to. */

const fixtures = path.resolve(__dirname, '..', '..', 'fixtures', 'loader');
const uuid = (file: number, n: number) => `urn:uuid:0f0000${String(file).padStart(2, '0')}-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** A patient bundle of `observations` Observations, large enough to need several chunks when asked. */
function patientItems(file: number, observations: number): LoadItem[] {
  const source = `patient-${file}.json`;
  const patient = { index: 0, fullUrl: uuid(file, 0) };
  const items: LoadItem[] = [
    { source, entry: { action: 'create', id: '', ...patient, resourceType: 'Patient', resource: { resourceType: 'Patient', name: [{ family: `P${file}` }] }, conditionalReferences: [] } },
  ];
  for (let n = 1; n <= observations; n++) {
    const resource = { resourceType: 'Observation', status: 'final', code: { text: `o${n}` }, subject: { reference: uuid(file, 0) }, performer: [{ reference: 'Practitioner?identifier=urn:npi|1' }] };
    items.push({ source, entry: { action: 'create', id: '', index: n, fullUrl: uuid(file, n), resourceType: 'Observation', resource, conditionalReferences: ['Practitioner?identifier=urn:npi|1'] } });
  }
  return items;
}

const support: LoadItem = {
  source: 'support.json',
  entry: {
    action: 'create',
    id: '',
    index: 0,
    fullUrl: uuid(99, 0),
    resourceType: 'Practitioner',
    ifNoneExist: 'identifier=urn:npi|1',
    resource: { resourceType: 'Practitioner', identifier: [{ system: 'urn:npi', value: '1' }] },
    conditionalReferences: [],
  },
};

describe('scheduleLoad', () => {
  it('makes each patient’s chunks wait for the support chunk they refer to, and not for other patients', () => {
    const { chunks, refused } = scheduleLoad([support, ...patientItems(1, 60), ...patientItems(2, 60)]);
    expect(refused).toEqual([]);
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    const filesOf = (chunk: PlannedChunk) => chunk.files.join(',');
    const first = chunks.findIndex((chunk) => chunk.files.includes('support.json'));
    expect(first).toBe(0);
    const secondPatient = chunks.findIndex((chunk) => filesOf(chunk) === 'patient-2.json');
    for (const [index, chunk] of chunks.entries()) {
      if (index === 0) continue;
      expect(chunk.dependsOn).toContain(0);
      // A chunk of patient 2 only waits for patient 2's earlier chunks and the support chunk.
      if (index > secondPatient && filesOf(chunk) === 'patient-2.json') {
        expect(chunk.dependsOn.every((earlier) => earlier === 0 || (chunks[earlier]?.files.includes('patient-2.json') ?? false))).toBe(true);
      }
    }
  });

  it('names every entry by its source position', async () => {
    const inputs = await readInputs([path.join(fixtures, 'patients', 'gagnon.json')]);
    const { chunks } = scheduleLoad(inputs.items);
    expect(chunks.flatMap((chunk) => chunk.positions)).toEqual([0, 1, 2].map((index) => `${path.join(fixtures, 'patients', 'gagnon.json')}#entry[${index}]`));
  });

  it('keeps the chunks within DynamoDB’s 100 actions as the store counts them, journal subjects included', () => {
    const { chunks } = scheduleLoad([support, ...patientItems(1, 120)]);
    for (const chunk of chunks) {
      const costs = chunk.entries.map(writeCostOf);
      const subjects = new Set(costs.flatMap((cost) => cost.patients));
      expect(costs.reduce((sum, cost) => sum + cost.items, 0) + subjects.size).toBeLessThanOrEqual(100);
    }
  });
});

describe('writeCostOf', () => {
  it('journals a resource in no patient compartment under its type', () => {
    const entry = { fullUrl: uuid(1, 1), resource: { resourceType: 'Organization', name: 'X' }, request: { method: 'PUT' as const, url: 'Organization/x' } };
    expect(writeCostOf(entry)).toEqual({ items: 1, patients: ['Organization'] });
  });
});

describe('splitChunk', () => {
  it('halves a chunk, the second half naming a conditional entry of the first by its criteria instead of its urn', () => {
    const conditional = { fullUrl: uuid(1, 0), resource: { resourceType: 'Patient' }, request: { method: 'POST' as const, url: 'Patient', ifNoneExist: 'identifier=urn:mrn|7' } };
    const plain = { fullUrl: uuid(1, 1), resource: { resourceType: 'Observation', id: 'o1' }, request: { method: 'PUT' as const, url: 'Observation/o1' } };
    const referring = { fullUrl: uuid(1, 2), resource: { resourceType: 'Observation', id: 'o2', subject: { reference: uuid(1, 0) } }, request: { method: 'PUT' as const, url: 'Observation/o2' } };
    const [first, second] = splitChunk({ entries: [conditional, plain, referring], positions: ['f#entry[0]', 'f#entry[1]', 'f#entry[2]'], files: ['f'], dependsOn: [] });
    expect(first.entries).toEqual([conditional, plain]);
    expect(first.positions).toEqual(['f#entry[0]', 'f#entry[1]']);
    expect(second.entries).toEqual([{ ...referring, resource: { ...referring.resource, subject: { reference: 'Patient?identifier=urn:mrn|7' } } }]);
    expect(second.positions).toEqual(['f#entry[2]']);
  });
});
