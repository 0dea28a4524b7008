import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { chunkLoad, type ChunkOptions, type LoadPlan, type TransactionEntry } from '../../../lambdas/bundle/chunking';
import { sourceNamespace, uuidV5 } from '../../../lambdas/bundle/deterministic-id';
import { loadItemsOfBundle, loadItemsOfNdjson, type LoadItem } from '../../../lambdas/bundle/load-entries';
import { isResourceType } from '../../../lambdas/fhir/registry/registry';
import { compartmentsOf, identifiersOf } from '../../../lambdas/record/index-facts';
import { extractSearchValues } from '../../../lambdas/search/extract-search-values';
import { hasSharedData, sharedDataDir } from '../../support/shared-data';
import { syntheaLikeBundle } from './synthea-like';
import { uuid } from './helpers';

const generous: ChunkOptions = { maxEntries: 100, maxBytes: 4_000_000 };
const transaction = (...entry: unknown[]) => ({ resourceType: 'Bundle', type: 'transaction', entry });
const post = (fullUrl: string, resource: Record<string, unknown>, ifNoneExist?: string) => ({
  fullUrl,
  resource,
  request: { method: 'POST', url: resource.resourceType, ...(ifNoneExist === undefined ? {} : { ifNoneExist }) },
});
const itemsOf = (bundle: unknown, source = 'test.json'): readonly LoadItem[] => {
  const { items, refused } = loadItemsOfBundle(source, bundle);
  expect(refused).toEqual([]);
  return items;
};
const idOf = (fullUrl: string, source?: string) => uuidV5(fullUrl, sourceNamespace(source));
const chunkIds = (plan: LoadPlan) => plan.chunks.map((chunk) => chunk.entries.map(({ item }) => item.entry.index));

/** Every string of a value, with the property that holds it. */
function stringsOf(value: unknown, key = ''): [string, string][] {
  if (typeof value === 'string') return [[key, value]];
  if (Array.isArray(value)) return value.flatMap((item) => stringsOf(item, key));
  if (typeof value === 'object' && value !== null) return Object.entries(value).flatMap(([name, child]) => stringsOf(child, name));
  return [];
}

/** What the executor can count on, whatever the input: checked on every plan below. */
function expectSoundPlan(plan: LoadPlan, items: readonly LoadItem[], options: ChunkOptions): void {
  const chunkOfReference = new Map<string, number>();
  const chunkOfFullUrl = new Map<string, number>();
  plan.chunks.forEach((chunk, index) => {
    for (const entry of chunk.bundle.entry) {
      chunkOfFullUrl.set(entry.fullUrl, index);
      if (entry.request.method === 'PUT' && !entry.request.url.includes('?')) chunkOfReference.set(entry.request.url, index);
    }
  });
  plan.chunks.forEach((chunk, index) => {
    expect(chunk.bundle.entry.length).toBeGreaterThan(0);
    expect(chunk.bundle.entry.length).toBeLessThanOrEqual(options.maxEntries);
    const bytes = Buffer.byteLength(JSON.stringify(chunk.bundle));
    expect(chunk.bytes).toBe(bytes);
    expect(bytes).toBeLessThanOrEqual(options.maxBytes);
    if (options.maxActions !== undefined) expect(chunk.actions).toBeLessThanOrEqual(options.maxActions);
    for (const { resource } of chunk.bundle.entry) {
      for (const [key, text] of stringsOf(resource)) {
        // A urn left in a resource names a conditional entry of the same chunk, which the server's transaction resolves.
        if (text.startsWith('urn:uuid:') && !(key === 'value')) expect(chunkOfFullUrl.get(text), `${text} in chunk ${index}`).toBe(index);
        if (key === 'reference' && chunkOfReference.has(text)) expect(chunkOfReference.get(text), `${text} from chunk ${index}`).toBeLessThanOrEqual(index);
      }
    }
  });
  const planned = plan.chunks.reduce((sum, chunk) => sum + chunk.entries.length, 0);
  expect(planned + plan.refused.length).toBe(items.length);
  expect(chunkLoad(items, options)).toEqual(plan);
}

describe('chunkLoad: ids derived from the source', () => {
  const bundle = transaction(post(uuid(1), { resourceType: 'Patient' }), post(uuid(2), { resourceType: 'Observation', subject: { reference: uuid(1) } }));

  it('writes each plain create as PUT Type/<UUIDv5 of its fullUrl>, with every reference rewritten', () => {
    const plan = chunkLoad(itemsOf(bundle), generous);
    const patientId = idOf(uuid(1));
    expect(plan.chunks[0]?.bundle.entry).toEqual([
      { fullUrl: `urn:uuid:${patientId}`, resource: { resourceType: 'Patient', id: patientId }, request: { method: 'PUT', url: `Patient/${patientId}` } },
      {
        fullUrl: `urn:uuid:${idOf(uuid(2))}`,
        resource: { resourceType: 'Observation', id: idOf(uuid(2)), subject: { reference: `Patient/${patientId}` } },
        request: { method: 'PUT', url: `Observation/${idOf(uuid(2))}` },
      },
    ]);
  });

  it('gives the same ids on every run, and other ids for another source system', () => {
    const items = itemsOf(bundle);
    expect(chunkLoad(items, generous)).toEqual(chunkLoad(items, generous));
    expect(chunkLoad(items, { ...generous, source: 'legacy-lab' }).chunks[0]?.entries[0]?.id).toBe(idOf(uuid(1), 'legacy-lab'));
  });

  it('rewrites NDJSON references by the source’s Type/id to the ids derived for them', () => {
    const items = loadItemsOfNdjson('export.ndjson', '{"resourceType":"Observation","id":"o","subject":{"reference":"Patient/123"}}\n{"resourceType":"Patient","id":"123"}\n').items;
    const plan = chunkLoad(items, { ...generous, maxEntries: 1 });
    expect(chunkIds(plan)).toEqual([[1], [0]]);
    expect(plan.chunks[1]?.bundle.entry[0]?.resource).toMatchObject({ subject: { reference: `Patient/${idOf('Patient/123')}` } });
    expectSoundPlan(plan, items, { ...generous, maxEntries: 1 });
  });

  it('gives resources without any identity in the source an id from their content, two equal ones two ids', () => {
    const items = loadItemsOfNdjson('x.ndjson', '{"resourceType":"Basic"}\n{"resourceType":"Basic"}\n').items;
    const ids = chunkLoad(items, generous).chunks[0]?.entries.map(({ id }) => id);
    expect(new Set(ids).size).toBe(2);
    expect(chunkLoad(items, generous).chunks[0]?.entries.map(({ id }) => id)).toEqual(ids);
  });

  it('refuses a second entry with the same identity', () => {
    const items = [...itemsOf(bundle, 'a.json'), ...itemsOf(transaction(post(uuid(1), { resourceType: 'Patient' })), 'b.json')];
    const plan = chunkLoad(items, generous);
    expect(plan.refused).toEqual([{ source: 'b.json', entry: { index: 0, fullUrl: uuid(1) }, reason: `it is the same resource as entry[0] (${uuid(1)}) of a.json` }]);
  });
});

describe('chunkLoad: dependency order and limits', () => {
  it('puts every target in the same chunk or an earlier one, even when the source lists it later', () => {
    const items = itemsOf(
      transaction(
        post(uuid(3), { resourceType: 'Observation', subject: { reference: uuid(1) }, encounter: { reference: uuid(2) } }),
        post(uuid(2), { resourceType: 'Encounter', subject: { reference: uuid(1) } }),
        post(uuid(1), { resourceType: 'Patient' }),
      ),
    );
    const options = { ...generous, maxEntries: 1 };
    const plan = chunkLoad(items, options);
    expect(chunkIds(plan)).toEqual([[2], [1], [0]]);
    expectSoundPlan(plan, items, options);
  });

  it('fills each chunk up to the entry count and the byte size', () => {
    const items = itemsOf(transaction(...Array.from({ length: 10 }, (_, n) => post(uuid(n), { resourceType: 'Basic', text: { status: 'generated', div: 'x'.repeat(1000) } }))));
    expect(chunkIds(chunkLoad(items, { ...generous, maxEntries: 4 }))).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
    const options = { maxEntries: 100, maxBytes: 3500 };
    const plan = chunkLoad(items, options);
    expect(plan.chunks.map((chunk) => chunk.entries.length)).toEqual([2, 2, 2, 2, 2]);
    expectSoundPlan(plan, items, options);
  });

  it('counts TransactWriteItems actions with writeCostOf, each patient’s journal item once per chunk', () => {
    const items = itemsOf(transaction(...Array.from({ length: 6 }, (_, n) => post(uuid(n), { resourceType: 'Basic' }))));
    const options = { ...generous, maxActions: 7, writeCostOf: () => ({ items: 2, patients: ['Patient/p'] }) };
    const plan = chunkLoad(items, options);
    expect(plan.chunks.map((chunk) => [chunk.entries.length, chunk.actions])).toEqual([
      [3, 7],
      [3, 7],
    ]);
  });

  it('refuses an entry too large for any chunk, and the entries that refer to it', () => {
    const items = itemsOf(
      transaction(
        post(uuid(1), { resourceType: 'Patient', text: { status: 'generated', div: 'x'.repeat(5000) } }),
        post(uuid(2), { resourceType: 'Observation', subject: { reference: uuid(1) } }),
        post(uuid(3), { resourceType: 'Basic' }),
      ),
    );
    const plan = chunkLoad(items, { maxEntries: 10, maxBytes: 2000 });
    expect(plan.refused.map(({ entry, reason }) => [entry.index, reason])).toEqual([
      [0, 'it is too large for one transaction'],
      [1, `it refers to entry[0] (${uuid(1)}) of test.json, which is refused`],
    ]);
    expect(chunkIds(plan)).toEqual([[2]]);
  });
});

describe('chunkLoad: cycles', () => {
  const cycle = transaction(
    post(uuid(1), { resourceType: 'Patient', link: [{ other: { reference: uuid(2) }, type: 'seealso' }] }),
    post(uuid(2), { resourceType: 'Patient', link: [{ other: { reference: uuid(1) }, type: 'seealso' }] }),
    post(uuid(3), { resourceType: 'Observation', subject: { reference: uuid(2) } }),
  );

  it('keeps a reference cycle in one chunk', () => {
    const options = { ...generous, maxEntries: 2 };
    const plan = chunkLoad(itemsOf(cycle), options);
    expect(chunkIds(plan)).toEqual([[0, 1], [2]]);
    expectSoundPlan(plan, itemsOf(cycle), options);
  });

  it('refuses a cycle too large for one chunk, and what depends on it', () => {
    const plan = chunkLoad(itemsOf(cycle), { ...generous, maxEntries: 1 });
    expect(plan.chunks).toEqual([]);
    expect(plan.refused.map(({ entry, reason }) => [entry.index, reason])).toEqual([
      [0, 'it is in a reference cycle of 2 entries too large for one transaction'],
      [1, 'it is in a reference cycle of 2 entries too large for one transaction'],
      [2, `it refers to entry[1] (${uuid(2)}) of test.json, which is refused`],
    ]);
  });
});

describe('chunkLoad: references the source cannot or need not resolve', () => {
  it('refuses an entry with a urn:uuid reference no entry has, naming it, and the entries that depend on it', () => {
    const items = itemsOf(
      transaction(post(uuid(1), { resourceType: 'Encounter', subject: { reference: uuid(9) } }), post(uuid(2), { resourceType: 'Observation', encounter: { reference: uuid(1) } })),
    );
    const plan = chunkLoad(items, generous);
    expect(plan.refused.map(({ reason }) => reason)).toEqual([
      `Bundle entry[0] (${uuid(1)}): the reference ${uuid(9)} names no entry of the Bundle`,
      `it refers to entry[0] (${uuid(1)}) of test.json, which is refused`,
    ]);
  });

  it('leaves conditional references to resources outside the load for the executor, listed per chunk', () => {
    const npi = 'Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|9999';
    const plan = chunkLoad(itemsOf(transaction(post(uuid(1), { resourceType: 'Encounter', participant: [{ individual: { reference: npi } }] }))), generous);
    expect(plan.chunks[0]?.conditionalReferences).toEqual([npi]);
    expect(plan.chunks[0]?.bundle.entry[0]?.resource).toMatchObject({ participant: [{ individual: { reference: npi } }] });
  });

  it('refers to a conditional create by its urn in its own chunk and by its condition from a later one', () => {
    const organization = post(uuid(1), { resourceType: 'Organization', identifier: [{ system: 'http://x', value: 'org' }] }, 'identifier=http://x|org');
    const items = itemsOf(
      transaction(
        organization,
        post(uuid(2), { resourceType: 'Encounter', serviceProvider: { reference: uuid(1) } }),
        post(uuid(3), { resourceType: 'Claim', provider: { reference: uuid(1) } }),
      ),
    );
    const options = { ...generous, maxEntries: 2 };
    const plan = chunkLoad(items, options);
    const organizationUrl = `urn:uuid:${idOf(uuid(1))}`;
    expect(plan.chunks[0]?.bundle.entry.map((entry: TransactionEntry) => entry.request)).toEqual([
      { method: 'POST', url: 'Organization', ifNoneExist: 'identifier=http://x|org' },
      { method: 'PUT', url: `Encounter/${idOf(uuid(2))}` },
    ]);
    expect(plan.chunks[0]?.bundle.entry[0]?.fullUrl).toBe(organizationUrl);
    expect(plan.chunks[0]?.bundle.entry[1]?.resource).toMatchObject({ serviceProvider: { reference: organizationUrl } });
    expect(plan.chunks[1]?.bundle.entry[0]?.resource).toMatchObject({ provider: { reference: 'Organization?identifier=http://x|org' } });
    expect(plan.chunks[1]?.conditionalReferences).toEqual(['Organization?identifier=http://x|org']);
    expectSoundPlan(plan, items, options);
  });

  it('resolves a conditional reference to the one entry of the load with that identifier, and orders it first', () => {
    const npi = 'Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|9999';
    const items = itemsOf(
      transaction(
        post(uuid(1), { resourceType: 'Encounter', participant: [{ individual: { reference: npi } }] }),
        post(uuid(2), { resourceType: 'Practitioner', identifier: [{ system: 'http://hl7.org/fhir/sid/us-npi', value: '9999' }] }),
      ),
    );
    const plan = chunkLoad(items, { ...generous, maxEntries: 1 });
    expect(chunkIds(plan)).toEqual([[1], [0]]);
    expect(plan.chunks[1]?.bundle.entry[0]?.resource).toMatchObject({ participant: [{ individual: { reference: `Practitioner/${idOf(uuid(2))}` } }] });
    expect(plan.chunks[1]?.conditionalReferences).toEqual([]);
  });

  it('strips the id from a conditional update, which must not contradict its match', () => {
    const items = itemsOf(transaction({ fullUrl: uuid(1), resource: { resourceType: 'Location', id: 'old' }, request: { method: 'PUT', url: 'Location?identifier=http://x|1' } }));
    expect(chunkLoad(items, generous).chunks[0]?.bundle.entry[0]).toEqual({
      fullUrl: `urn:uuid:${idOf(uuid(1))}`,
      resource: { resourceType: 'Location' },
      request: { method: 'PUT', url: 'Location?identifier=http://x|1' },
    });
  });
});

/** The items and patients one version writes, as dynamodb-record-store.ts commits them. */
function writeCostOf(entry: TransactionEntry) {
  const { resource } = entry;
  const resourceType = String(resource.resourceType);
  if (!isResourceType(resourceType)) throw new Error(`unknown type ${resourceType}`);
  const values = extractSearchValues(resource);
  const patients = compartmentsOf(resourceType, typeof resource.id === 'string' ? resource.id : 'pending', values);
  return { items: 1 + identifiersOf(values).length + patients.length + (entry.request.ifNoneExist === undefined ? 0 : 1), patients };
}

describe('chunkLoad on a Synthea-sized transaction (1,201 entries, 3.9 MB)', () => {
  const bundle = syntheaLikeBundle({ encounters: 100, observationsPerEncounter: 9, narrative: 1350 });
  const items = itemsOf(bundle, 'synthetic.json');

  it('is as large as the largest real Synthea bundles', () => {
    expect(items.length).toBeGreaterThan(1200);
    expect(Buffer.byteLength(JSON.stringify(bundle))).toBeGreaterThan(3_800_000);
  });

  it.each([
    ['DynamoDB’s limits', { maxEntries: 100, maxBytes: 1_000_000, maxActions: 100, writeCostOf }],
    ['small chunks', { maxEntries: 25, maxBytes: 64 * 1024 }],
  ])('splits it soundly under %s, leaving only the outside conditional references', (_, options: ChunkOptions) => {
    const plan = chunkLoad(items, options);
    expect(plan.refused).toEqual([]);
    expect(plan.chunks.length).toBeGreaterThan(4);
    expectSoundPlan(plan, items, options);
    const conditional = new Set(plan.chunks.flatMap((chunk) => chunk.conditionalReferences));
    expect([...conditional].every((reference) => /^(Practitioner|Organization|Location)\?identifier=/.test(reference))).toBe(true);
    expect(conditional.size).toBe(7 + 3 + 5);
  });
});

describe.skipIf(!hasSharedData)('chunkLoad on the real Synthea bundles (../shared/data/synthea)', () => {
  const dir = path.join(sharedDataDir, 'synthea');
  const files = hasSharedData ? ['Abdul', 'Alfreda', 'Clemente', 'Grazyna', 'Pearly'] : [];
  const options: ChunkOptions = { maxEntries: 100, maxBytes: 1_000_000, maxActions: 100, writeCostOf };

  it.each(files)('plans %s’s bundle: chunks fit, every urn:uuid is rewritten, no reference points ahead, nothing is lost', (name) => {
    const file = readdirSync(dir).find((candidate) => candidate.startsWith(`${name}_`));
    if (!file) throw new Error(`no Synthea bundle for ${name}`);
    const items = itemsOf(JSON.parse(readFileSync(path.join(dir, file), 'utf8')), file);
    const plan = chunkLoad(items, options);
    expect(plan.refused).toEqual([]);
    expectSoundPlan(plan, items, options);
    // Synthea writes no conditional entries: every urn is a fullUrl of the chunk's own, rewritten references none.
    const urns = plan.chunks.flatMap((chunk) => chunk.bundle.entry.flatMap(({ resource }) => stringsOf(resource))).filter(([key, text]) => key === 'reference' && text.startsWith('urn:'));
    expect(urns).toEqual([]);
    const smaller = { maxEntries: 10, maxBytes: 40_000 };
    expectSoundPlan(chunkLoad(items, smaller), items, smaller);
  });
});
