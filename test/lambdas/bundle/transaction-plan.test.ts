import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Invalid } from '../../../lambdas/fhir/errors';
import { parseFhirJson } from '../../../lambdas/fhir/json';
import { assertDistinctChanges, planBundle, type PlannedEntry } from '../../../lambdas/bundle/transaction-plan';
import { hasSharedData, sharedDataDir } from '../../support/shared-data';
import { base64Json, invalidIssues, sequentialIds, uuid } from './helpers';

const transaction = (...entry: unknown[]) => ({ resourceType: 'Bundle', type: 'transaction', entry });
const batch = (...entry: unknown[]) => ({ resourceType: 'Bundle', type: 'batch', entry });
const post = (fullUrl: string | undefined, resource: Record<string, unknown>, request: Record<string, unknown> = {}) => ({
  ...(fullUrl === undefined ? {} : { fullUrl }),
  resource,
  request: { method: 'POST', url: resource.resourceType, ...request },
});
const put = (resourceType: string, id: string, extra: Record<string, unknown> = {}) => ({
  resource: { resourceType, id },
  request: { method: 'PUT', url: `${resourceType}/${id}` },
  ...extra,
});
const request = (method: string, url: string, extra: Record<string, unknown> = {}) => ({ request: { method, url, ...extra } });
const summary = (entries: readonly PlannedEntry[]) => entries.map((entry) => `${entry.index}:${entry.action}`);

describe('planBundle: processing order (R4 http.html#trules)', () => {
  it('orders DELETE, then POST, then PUT and PATCH, then GET and HEAD, keeping Bundle order within each', () => {
    const plan = planBundle(
      transaction(
        request('GET', 'Patient?name=peter'),
        put('Patient', 'a'),
        post(uuid(1), { resourceType: 'Patient' }),
        request('DELETE', 'Patient/b'),
        { resource: { resourceType: 'Binary', contentType: 'application/json-patch+json', data: base64Json([]) }, request: { method: 'PATCH', url: 'Patient/c' } },
        request('HEAD', 'Patient/d'),
        post(uuid(2), { resourceType: 'Observation' }),
        request('DELETE', 'Observation?code=x'),
      ),
      { newId: sequentialIds() },
    );
    expect(summary(plan.entries)).toEqual(['3:delete', '7:conditional-delete', '2:create', '6:create', '1:update', '4:patch', '0:read', '5:read']);
  });

  it('keeps each entry’s fullUrl and assigns the id of each create up front, whatever the resource says', () => {
    const plan = planBundle(transaction(post(uuid(1), { resourceType: 'Patient', id: 'client-chose' }), post(uuid(2), { resourceType: 'Observation' })), {
      newId: sequentialIds('new'),
    });
    expect(plan.entries.map((entry) => ({ index: entry.index, fullUrl: entry.fullUrl, id: 'id' in entry ? entry.id : undefined }))).toEqual([
      { index: 0, fullUrl: uuid(1), id: 'new-1' },
      { index: 1, fullUrl: uuid(2), id: 'new-2' },
    ]);
  });

  it('maps the fullUrls whose target is known before anything is read, and leaves conditional ones to the executor', () => {
    const plan = planBundle(
      transaction(
        post(uuid(1), { resourceType: 'Patient' }),
        post(uuid(2), { resourceType: 'Organization' }, { ifNoneExist: 'identifier=http://example.org|1' }),
        { ...put('Patient', 'p1'), fullUrl: 'http://example.org/fhir/Patient/p1' },
        { fullUrl: uuid(3), resource: { resourceType: 'Practitioner' }, request: { method: 'PUT', url: 'Practitioner?identifier=http://example.org|2' } },
      ),
      { newId: sequentialIds() },
    );
    expect(Object.fromEntries(plan.references)).toEqual({ [uuid(1)]: 'Patient/id-1', 'http://example.org/fhir/Patient/p1': 'Patient/p1' });
  });
});

describe('planBundle: conditional entries are described, not executed', () => {
  const plan = planBundle(
    transaction(
      post(uuid(1), { resourceType: 'Patient' }, { ifNoneExist: 'identifier=http://example.org/ids|234234' }),
      post(uuid(2), { resourceType: 'Patient' }, { ifNoneExist: 'Patient?identifier=http://example.org/ids|9' }),
      { ...put('Patient', '123a'), request: { method: 'PUT', url: 'Patient/123a', ifMatch: 'W/"2"' } },
      { resource: { resourceType: 'Patient' }, request: { method: 'PUT', url: 'Patient?identifier=http://example.org/ids|4564' } },
      request('DELETE', 'Patient?identifier=123456'),
      request('DELETE', 'Patient/234', { ifMatch: 'W/"7"' }),
      { resource: { resourceType: 'Binary', contentType: 'application/json-patch+json', data: base64Json([{ op: 'replace', path: '/active', value: false }]) }, request: { method: 'PATCH', url: 'Patient/p', ifMatch: 'W/"1"' } },
      { resource: { resourceType: 'Binary', contentType: 'application/json-patch+json', data: base64Json([{ op: 'add', path: '/gender', value: 'other' }]) }, request: { method: 'PATCH', url: 'Patient?identifier=x|1' } },
      request('GET', 'Patient/12334', { ifNoneMatch: 'W/"4"', ifModifiedSince: '2015-08-31T08:14:33+10:00' }),
    ),
    { newId: sequentialIds() },
  );
  const byIndex = (index: number) => plan.entries.find((entry) => entry.index === index);

  it('describes If-None-Exist as the query part, with or without the type before it', () => {
    expect(byIndex(0)).toMatchObject({ action: 'create', ifNoneExist: 'identifier=http://example.org/ids|234234' });
    expect(byIndex(1)).toMatchObject({ action: 'create', ifNoneExist: 'identifier=http://example.org/ids|9' });
  });

  it('describes If-Match on updates, deletes and patches', () => {
    expect(byIndex(2)).toMatchObject({ action: 'update', resourceType: 'Patient', id: '123a', ifMatch: 'W/"2"' });
    expect(byIndex(5)).toMatchObject({ action: 'delete', resourceType: 'Patient', id: '234', ifMatch: 'W/"7"' });
    expect(byIndex(6)).toMatchObject({ action: 'patch', id: 'p', ifMatch: 'W/"1"' });
  });

  it('describes conditional update and conditional delete by their criteria', () => {
    expect(byIndex(3)).toMatchObject({ action: 'conditional-update', resourceType: 'Patient', criteria: 'identifier=http://example.org/ids|4564' });
    expect(byIndex(4)).toMatchObject({ action: 'conditional-delete', resourceType: 'Patient', criteria: 'identifier=123456' });
  });

  it('decodes a PATCH entry’s JSON Patch from its Binary, plain or conditional', () => {
    expect(byIndex(6)).toMatchObject({ patch: [{ op: 'replace', path: '/active', value: false }] });
    expect(byIndex(7)).toMatchObject({ action: 'conditional-patch', criteria: 'identifier=x|1', patch: [{ op: 'add', path: '/gender', value: 'other' }] });
  });

  it('carries a read’s own conditions', () => {
    expect(byIndex(8)).toMatchObject({ action: 'read', method: 'GET', url: 'Patient/12334', ifNoneMatch: 'W/"4"', ifModifiedSince: '2015-08-31T08:14:33+10:00' });
  });

  it('lists the conditional references inside each resource for the executor to resolve', () => {
    const withReference = planBundle(
      transaction(post(uuid(1), { resourceType: 'Encounter', participant: [{ individual: { reference: 'Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|9999' } }] })),
    );
    expect(withReference.entries[0]).toMatchObject({ conditionalReferences: ['Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|9999'] });
  });
});

describe('planBundle: what a transaction refuses, naming the entry by index and fullUrl', () => {
  it('accepts the three fullUrl forms R4 allows', () => {
    const plan = planBundle(
      transaction(
        post(uuid(1), { resourceType: 'Patient' }),
        post('urn:oid:1.2.840.113556.1.8000.2554', { resourceType: 'Patient' }),
        post('https://example.org/fhir/Patient/x', { resourceType: 'Patient' }),
      ),
    );
    expect(plan.entries).toHaveLength(3);
  });

  it.each([['urn:uuid:not-a-uuid'], ['urn:oid:3.1'], ['Patient/123'], ['ftp://example.org/Patient/1'], ['']])('refuses the fullUrl %j', (fullUrl) => {
    const [issue] = invalidIssues(() => planBundle(transaction(post(uuid(1), { resourceType: 'Patient' }), post(fullUrl, { resourceType: 'Patient' }))));
    expect(issue?.diagnostics).toContain(`entry[1] (${fullUrl})`);
    expect(issue?.expression).toEqual(['Bundle.entry[1].fullUrl']);
  });

  it('refuses two entries with the same fullUrl, naming both', () => {
    const issues = invalidIssues(() => planBundle(transaction(post(uuid(1), { resourceType: 'Patient' }), post(uuid(2), { resourceType: 'Patient' }), post(uuid(1), { resourceType: 'Patient' }))));
    expect(issues).toHaveLength(1);
    expect(issues[0]?.diagnostics).toMatch(/entry\[2\] \(urn:uuid:0+-0000-4000-8000-0+1\).*entry\[0\]/);
  });

  it.each([
    ['no request', { fullUrl: uuid(1), resource: { resourceType: 'Patient' } }, 'Bundle.entry[0].request'],
    ['no method', { fullUrl: uuid(1), resource: { resourceType: 'Patient' }, request: { url: 'Patient' } }, 'Bundle.entry[0].request.method'],
    ['an unknown method', { fullUrl: uuid(1), resource: { resourceType: 'Patient' }, request: { method: 'MERGE', url: 'Patient' } }, 'Bundle.entry[0].request.method'],
    ['no url', { fullUrl: uuid(1), resource: { resourceType: 'Patient' }, request: { method: 'POST' } }, 'Bundle.entry[0].request.url'],
    ['an absolute url', { fullUrl: uuid(1), resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'http://x.org/Patient' } }, 'Bundle.entry[0].request.url'],
    ['an unknown type', { fullUrl: uuid(1), resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patients' } }, 'Bundle.entry[0].request.url'],
    ['an operation', { fullUrl: uuid(1), resource: { resourceType: 'Parameters' }, request: { method: 'POST', url: 'ValueSet/$lookup' } }, 'Bundle.entry[0].request.url'],
    ['a POST without a resource', { fullUrl: uuid(1), request: { method: 'POST', url: 'Patient' } }, 'Bundle.entry[0].resource'],
    ['a resource of another type', { fullUrl: uuid(1), resource: { resourceType: 'Group' }, request: { method: 'POST', url: 'Patient' } }, 'Bundle.entry[0].resource.resourceType'],
    ['a PUT without an id', { fullUrl: uuid(1), resource: { resourceType: 'Patient' }, request: { method: 'PUT', url: 'Patient' } }, 'Bundle.entry[0].request.url'],
    ['a PUT whose body has another id', { fullUrl: uuid(1), resource: { resourceType: 'Patient', id: 'b' }, request: { method: 'PUT', url: 'Patient/a' } }, 'Bundle.entry[0].resource.id'],
    ['an invalid id', { fullUrl: uuid(1), request: { method: 'DELETE', url: 'Patient/a_b' } }, 'Bundle.entry[0].request.url'],
    ['a RESTful fullUrl naming another resource', { ...put('Patient', 'a'), fullUrl: 'http://example.org/fhir/Patient/b' }, 'Bundle.entry[0].fullUrl'],
  ])('refuses an entry with %s', (_, entry, expression) => {
    const [issue] = invalidIssues(() => planBundle(transaction(entry)));
    expect(issue?.expression).toEqual([expression]);
    expect(issue?.diagnostics).toMatch(/^Bundle entry\[0\]/);
  });

  it.each([
    ['a FHIRPath Patch', { resourceType: 'Parameters', parameter: [] }],
    ['a Binary of another content type', { resourceType: 'Binary', contentType: 'application/json', data: base64Json([]) }],
    ['data that is not base64', { resourceType: 'Binary', contentType: 'application/json-patch+json', data: '@@@' }],
    ['data that is not JSON', { resourceType: 'Binary', contentType: 'application/json-patch+json', data: Buffer.from('{nope').toString('base64') }],
    ['a patch that is not an array', { resourceType: 'Binary', contentType: 'application/json-patch+json', data: base64Json({ op: 'remove' }) }],
  ])('refuses a PATCH carrying %s', (_, resource) => {
    const [issue] = invalidIssues(() => planBundle(transaction({ resource, request: { method: 'PATCH', url: 'Patient/p' } })));
    expect(issue?.diagnostics).toMatch(/^Bundle entry\[0\]/);
  });

  it('refuses an entry that deletes a resource another entry writes, naming both (R4: identities may not overlap)', () => {
    const issues = invalidIssues(() => planBundle(transaction(request('DELETE', 'Patient/a'), { ...put('Patient', 'a'), fullUrl: 'http://example.org/fhir/Patient/a' })));
    expect(issues).toHaveLength(1);
    expect(issues[0]?.diagnostics).toBe('Bundle entry[1] (http://example.org/fhir/Patient/a): entry[0] changes Patient/a too; a transaction changes each resource once');
  });

  it('refuses two writes to one resource, and a patch of a resource another entry updates', () => {
    const patch = { resource: { resourceType: 'Binary', contentType: 'application/json-patch+json', data: base64Json([]) }, request: { method: 'PATCH', url: 'Patient/a' } };
    expect(invalidIssues(() => planBundle(transaction(put('Patient', 'a'), patch)))).toHaveLength(1);
    expect(invalidIssues(() => planBundle(transaction(put('Patient', 'a'), put('Patient', 'a'))))).toHaveLength(1);
  });

  it('lets a transaction read what it writes', () => {
    expect(planBundle(transaction(put('Patient', 'a'), request('GET', 'Patient/a'))).entries).toHaveLength(2);
  });

  it('refuses a reference to a urn:uuid that no entry has, naming the entry that holds it', () => {
    const [issue] = invalidIssues(() => planBundle(transaction(post(uuid(1), { resourceType: 'Observation', subject: { reference: uuid(9) } }))));
    expect(issue?.diagnostics).toBe(`Bundle entry[0] (${uuid(1)}): the reference ${uuid(9)} names no entry of the Bundle`);
  });

  it('reports every problem at once, and refuses the whole transaction', () => {
    const issues = invalidIssues(() => planBundle(transaction(post(uuid(1), { resourceType: 'Patient' }), request('DELETE', 'Patient'), request('PUT', 'Patient/x'))));
    expect(issues.map((issue) => issue.expression?.[0])).toEqual(['Bundle.entry[1].request.url', 'Bundle.entry[2].resource']);
  });

  it.each([
    ['a resource that is not a Bundle', { resourceType: 'Patient' }],
    ['a collection', { resourceType: 'Bundle', type: 'collection', entry: [] }],
    ['entries that are not an array', { resourceType: 'Bundle', type: 'transaction', entry: {} }],
  ])('refuses %s', (_, body) => {
    expect(() => planBundle(body)).toThrow(Invalid);
  });

  it('plans an empty transaction as nothing to do', () => {
    expect(planBundle({ resourceType: 'Bundle', type: 'transaction' }).entries).toEqual([]);
  });
});

describe('planBundle: batch', () => {
  it('refuses bad entries one by one and plans the others', () => {
    const plan = planBundle(batch(post(uuid(1), { resourceType: 'Patient' }), request('DELETE', 'Nope/1'), request('GET', 'Patient/1')), { newId: sequentialIds() });
    expect(summary(plan.entries)).toEqual(['0:create', '2:read']);
    expect(plan.refused).toMatchObject([{ index: 1, issues: [{ expression: ['Bundle.entry[1].request.url'] }] }]);
  });

  it('does not apply the transaction’s overlap rule: batch entries are independent', () => {
    expect(planBundle(batch(request('DELETE', 'Patient/a'), put('Patient', 'a'))).entries).toHaveLength(2);
  });

  it('refuses an entry that refers to another entry’s fullUrl: that is a transaction', () => {
    const plan = planBundle(batch(post(uuid(1), { resourceType: 'Patient' }), post(uuid(2), { resourceType: 'Observation', subject: { reference: uuid(1) } })));
    expect(plan.refused).toHaveLength(1);
    expect(plan.refused[0]?.issues[0]?.diagnostics).toContain(`entry[1] (${uuid(2)}): it refers to ${uuid(1)}, another entry of the batch`);
  });
});

describe('assertDistinctChanges', () => {
  it('refuses conditional targets that resolve to the same resource, naming the later entry and the earlier one', () => {
    const issues = invalidIssues(() =>
      assertDistinctChanges([
        { entry: { index: 3 }, reference: 'Patient/a' },
        { entry: { index: 5, fullUrl: uuid(5) }, reference: 'Patient/a' },
      ]),
    );
    expect(issues[0]?.diagnostics).toContain(`entry[5] (${uuid(5)}): entry[3] changes Patient/a too`);
  });

  it('accepts distinct resources', () => {
    expect(() => assertDistinctChanges([{ entry: { index: 0 }, reference: 'Patient/a' }, { entry: { index: 1 }, reference: 'Patient/b' }])).not.toThrow();
  });
});

describe.skipIf(!hasSharedData)('planBundle on HL7’s R4 examples (../shared/data)', () => {
  const example = (file: string) => parseFhirJson(readFileSync(path.join(sharedDataDir, 'r4-examples', file), 'utf8')) as { entry: unknown[] };

  it('refuses bundle-transaction.json for its ValueSet/$lookup entry alone, and plans the rest in R4 order', () => {
    const bundle = example('bundle-transaction.json');
    const issues = invalidIssues(() => planBundle(bundle));
    expect(issues.map((issue) => issue.expression?.[0])).toEqual(['Bundle.entry[7].request.url']);
    const plan = planBundle({ ...bundle, entry: bundle.entry.filter((_, index) => index !== 7) }, { newId: sequentialIds() });
    expect(summary(plan.entries)).toEqual(['5:delete', '6:conditional-delete', '0:create', '1:create', '2:update', '3:conditional-update', '4:update', '7:read', '8:read']);
  });

  it('plans the XDS example, whose Binary is referenced by its absolute fullUrl', () => {
    const plan = planBundle(example('xds-example.json'), { newId: sequentialIds() });
    expect(plan.entries.map((entry) => entry.action)).toEqual(['create', 'create', 'create', 'create', 'create']);
    expect(plan.references.get('http://localhost:9556/svc/fhir/Binary/1e404af3-077f-4bee-b7a6-a9be97e1ce32')).toBe('Binary/id-5');
  });
});
