import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { auditEventOfItem } from '../../lambdas/audit/access-journal';
import type { AuditEvent } from '../../lambdas/audit/audit-event';
import { allPages, bootLocalStack, eventually, expectJson, expectOperationOutcome, practitionerOf, referencesOf, type Bundle, type StoredResource } from '../support/e2e-stack';
import { restrictionDenying } from '../support/restrictions';

/**
 * LRSSS restrictions end to end, through `npm start`'s stack: the privacy officer records, with a
 * standard R4 Consent posted to /Consent, that Dr Bélanger may not see one Observation. She cannot
 * see it by read, search, _include or $everything; Dr Pelletier can; break-glass
 * shows it to her, journaled as an emergency access. The restriction names her by the Practitioner
 * her account is linked to (stack.json's `practitioner`, the token's `practitioner` claim).
 */

const stack = bootLocalStack();
const restricted = 'medecin@dsc.local';
const colleague = 'medecin2@dsc.local';
const privacyOfficer = 'vie-privee@dsc.local';
const reason = 'Urgence : patient inconscient, arrêt cardiaque';

let patient: StoredResource;
let encounter: StoredResource;
let hidden: StoredResource;
let open: StoredResource;
let consent: StoredResource;

async function create(resource: Record<string, unknown>, as?: string): Promise<StoredResource> {
  return expectJson<StoredResource>(await stack.request(`/${resource.resourceType as string}`, { method: 'POST', body: resource, as }), 201);
}

/** The journal entries of the patient recorded for one caller since a moment, read from the audit table as a privacy officer's tool would. */
async function journalSince(since: string, email: string): Promise<AuditEvent[]> {
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: stack.info.dynamoDb.endpoint, region: stack.info.cognito.region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
  );
  const result = await client.send(
    new QueryCommand({
      TableName: stack.info.dynamoDb.tables.audit,
      KeyConditionExpression: 'pk = :pk AND sk >= :since',
      ExpressionAttributeValues: { ':pk': `Patient/${patient.id}`, ':since': since },
      ConsistentRead: true,
    }),
  );
  return (result.Items ?? []).map(auditEventOfItem).filter((event) => event.agent[0]?.who?.display === email);
}

const entitiesOf = (event: AuditEvent) => (event.entity ?? []).slice(1).flatMap((entity) => entity.what?.reference ?? []);
const ids = (bundle: Bundle) => referencesOf(bundle.entry ?? []);

beforeAll(async () => {
  patient = await create({ resourceType: 'Patient', name: [{ family: 'Restreinte', given: ['Marie'] }] });
  const subject = { reference: `Patient/${patient.id}` };
  encounter = await create({ resourceType: 'Encounter', status: 'finished', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' }, subject });
  const observation = (text: string) => ({ resourceType: 'Observation', status: 'final', code: { text }, subject, encounter: { reference: `Encounter/${encounter.id}` } });
  hidden = await create(observation('Charge virale VIH'));
  open = await create(observation('Pouls'));
  consent = await create(
    restrictionDenying(practitionerOf(stack, restricted), `Observation/${hidden.id}`, subject, { dateTime: '2026-11-26T09:00:00-05:00' }),
    privacyOfficer,
  );
});

describe('a patient restriction recorded with POST /Consent', () => {
  it('is a standard R4 Consent, stored as sent', () => {
    expect(consent).toMatchObject({ resourceType: 'Consent', status: 'active', provision: { provision: [{ type: 'deny' }] } });
  });

  it('answers the restricted practitioner 403 on read, saying a restriction applies and break-glass exists, and journals the denial', async () => {
    const since = new Date().toISOString();
    const outcome = await expectOperationOutcome(await stack.request(`/Observation/${hidden.id}`, { as: restricted }), 403, 'forbidden');
    expect(outcome.issue[0]?.diagnostics).toMatch(/restriction.*X-Break-Glass-Reason/s);
    expect(JSON.stringify(outcome)).not.toContain('VIH');
    await expectOperationOutcome(await stack.request(`/Observation/${hidden.id}/_history/1`, { as: restricted }), 403, 'forbidden');
    const journal = await journalSince(since, restricted);
    expect(journal.filter((event) => event.subtype?.[0]?.code === 'read')).toEqual([
      expect.objectContaining({ outcomeDesc: 'denied', agent: [expect.objectContaining({ who: expect.objectContaining({ reference: practitionerOf(stack, restricted) }) as object })] }),
    ]);
    expect(entitiesOf(journal[0]!)).toContain(`Observation/${hidden.id}`);
  });

  it('lets another practitioner read the item, journaled as a plain access', async () => {
    const since = new Date().toISOString();
    expect((await stack.read(`Observation/${hidden.id}`, colleague)).id).toBe(hidden.id);
    expect(await journalSince(since, colleague)).toEqual([expect.objectContaining({ outcomeDesc: 'success', purposeOfEvent: [{ coding: [expect.objectContaining({ code: 'TREAT' })] }] })]);
  });

  it('leaves the item out of a search, and of its total, for the restricted practitioner only', async () => {
    const path = `/Observation?subject=Patient/${patient.id}&_total=accurate`;
    await eventually(async () => {
      const theirs = await expectJson<Bundle>(await stack.request(path, { as: colleague }), 200);
      expect(ids(theirs)).toEqual([`Observation/${hidden.id}`, `Observation/${open.id}`].sort());
      expect(theirs.total).toBe(2);
    });
    const since = new Date().toISOString();
    const mine = await expectJson<Bundle>(await stack.request(path, { as: restricted }), 200);
    expect(ids(mine)).toEqual([`Observation/${open.id}`]);
    expect(mine.total).toBe(1);
    const journal = await journalSince(since, restricted);
    expect(journal.map((event) => [event.outcomeDesc, entitiesOf(event)])).toEqual(
      expect.arrayContaining([
        ['success', [`Observation/${open.id}`]],
        ['denied', [`Observation/${hidden.id}`]],
      ]),
    );
  });

  it('leaves the item out of _include', async () => {
    const include = await expectJson<Bundle>(await stack.request(`/Observation?_id=${hidden.id},${open.id}&_include=Observation:encounter`, { as: restricted }), 200);
    expect(ids(include)).toEqual([`Encounter/${encounter.id}`, `Observation/${open.id}`].sort());
  });

  it('leaves the item out of $everything and the compartment search', async () => {
    const mine = referencesOf((await allPages(stack, `/Patient/${patient.id}/$everything`, { as: restricted })).entries);
    expect(mine).toEqual(expect.arrayContaining([`Patient/${patient.id}`, `Encounter/${encounter.id}`, `Observation/${open.id}`]));
    expect(mine).not.toContain(`Observation/${hidden.id}`);
    expect(referencesOf((await allPages(stack, `/Patient/${patient.id}/$everything`, { as: colleague })).entries)).toContain(`Observation/${hidden.id}`);
    expect(ids(await expectJson<Bundle>(await stack.request(`/Patient/${patient.id}/Observation`, { as: restricted }), 200))).toEqual([`Observation/${open.id}`]);
  });
});

describe('break-glass', () => {
  it('shows the item to the restricted practitioner and journals an emergency access with the decoded reason and the Consent overridden', async () => {
    const since = new Date().toISOString();
    const response = await stack.request(`/Observation/${hidden.id}`, { as: restricted, headers: { 'X-Break-Glass-Reason': encodeURIComponent(reason) } });
    expect((await expectJson<StoredResource>(response, 200)).id).toBe(hidden.id);
    const [entry, ...others] = await journalSince(since, restricted);
    expect(others).toEqual([]);
    expect(entry).toMatchObject({ outcomeDesc: 'success', purposeOfEvent: [{ coding: [expect.objectContaining({ code: 'ETREAT' })], text: reason }] });
    expect(entry?.extension).toContainEqual({ url: 'urn:dsc:audit:overridden-restriction', valueReference: { reference: `Consent/${consent.id}` } });
  });

  it('without a reason is refused with 400, and reads nothing', async () => {
    const since = new Date().toISOString();
    await expectOperationOutcome(await stack.request(`/Observation/${hidden.id}`, { as: restricted, headers: { 'X-Break-Glass-Reason': '%20' } }), 400, 'invalid');
    expect(await journalSince(since, restricted)).toEqual([]);
  });

  it('is refused to a clerk with 403, journaled as a denial', async () => {
    const since = new Date().toISOString();
    await expectOperationOutcome(await stack.request(`/Patient/${patient.id}`, { as: 'commis@dsc.local', headers: { 'X-Break-Glass-Reason': 'curious' } }), 403, 'forbidden');
    expect(await journalSince(since, 'commis@dsc.local')).toEqual([expect.objectContaining({ outcomeDesc: 'denied', purposeOfEvent: [expect.objectContaining({ text: 'curious' })] })]);
  });
});
