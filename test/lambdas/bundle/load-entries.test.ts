import { describe, expect, it } from 'vitest';
import { Invalid } from '../../../lambdas/fhir/errors';
import { loadItemsOfBundle, loadItemsOfNdjson } from '../../../lambdas/bundle/load-entries';
import { uuid } from './helpers';

describe('loadItemsOfBundle', () => {
  it('loads a collection as batch-like writes: PUT by id when the resource has one, POST otherwise', () => {
    const { items, refused } = loadItemsOfBundle('c.json', {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [
        { fullUrl: uuid(1), resource: { resourceType: 'Patient', id: 'p1' } },
        { fullUrl: uuid(2), resource: { resourceType: 'Observation', subject: { reference: uuid(1) } } },
      ],
    });
    expect(refused).toEqual([]);
    expect(items.map(({ source, entry }) => [source, entry.index, entry.fullUrl, entry.action, entry.resourceType])).toEqual([
      ['c.json', 0, uuid(1), 'update', 'Patient'],
      ['c.json', 1, uuid(2), 'create', 'Observation'],
    ]);
  });

  it('keeps a transaction’s writes as they are, conditional ones included', () => {
    const { items } = loadItemsOfBundle('t.json', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: uuid(1), resource: { resourceType: 'Organization' }, request: { method: 'POST', url: 'Organization', ifNoneExist: 'identifier=http://x|1' } },
        { resource: { resourceType: 'Location' }, request: { method: 'PUT', url: 'Location?identifier=http://x|2' } },
      ],
    });
    expect(items.map(({ entry }) => entry)).toMatchObject([
      { action: 'create', ifNoneExist: 'identifier=http://x|1' },
      { action: 'conditional-update', criteria: 'identifier=http://x|2' },
    ]);
  });

  it('refuses deletes, patches, reads and malformed entries one by one, with their reason and position', () => {
    const { items, refused } = loadItemsOfBundle('b.json', {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        { request: { method: 'DELETE', url: 'Patient/1' } },
        { fullUrl: uuid(2), resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } },
        { request: { method: 'GET', url: 'Patient/1' } },
        { fullUrl: 'nope', resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } },
      ],
    });
    expect(items.map(({ entry }) => entry.index)).toEqual([1]);
    expect(refused.map(({ source, entry, reason }) => [source, entry.index, reason])).toEqual([
      ['b.json', 0, 'delete entries are not loaded; the loader only writes resources'],
      ['b.json', 2, 'read entries are not loaded; the loader only writes resources'],
      ['b.json', 3, 'Bundle entry[3] (nope): fullUrl must be an absolute http(s) URL, urn:uuid:<uuid> or urn:oid:<oid>'],
    ]);
  });

  it.each([['a searchset', { resourceType: 'Bundle', type: 'searchset' }], ['a Patient', { resourceType: 'Patient' }]])('refuses %s as a whole', (_, body) => {
    expect(() => loadItemsOfBundle('x.json', body)).toThrow(Invalid);
  });
});

describe('loadItemsOfNdjson', () => {
  it('loads each line as a write and refuses bad lines by number', () => {
    const { items, refused } = loadItemsOfNdjson('Patient.ndjson', '{"resourceType":"Patient","id":"1"}\n{oops\n\n{"resourceType":"Patient"}\n');
    expect(items.map(({ entry }) => [entry.line, entry.action])).toEqual([
      [1, 'update'],
      [4, 'create'],
    ]);
    expect(refused).toMatchObject([{ source: 'Patient.ndjson', entry: { line: 2 }, reason: expect.stringMatching(/^line 2: Malformed JSON/) as unknown }]);
  });
});
