import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../../lambdas/access/roles';
import { auditEventOfItem } from '../../../lambdas/audit/access-journal';
import { auditEventFor } from '../../../lambdas/audit/audit-event';
import { DynamoDbAccessJournal } from '../../../lambdas/audit/dynamodb-access-journal';
import { journalService } from '../../../lambdas/journal/compose';
import type { JournalService } from '../../../lambdas/journal/journal-service';
import { freshTables } from '../../support/dynamodb';
import { requestFor, requestIdOf } from '../../support/principals';

/**
 * The journal read back from DynamoDB Local as privacy officers read it: by patient on the table,
 * by agent on the keys-only index, within dates, page by page, and every reading journaled.
 */
let env: Awaited<ReturnType<typeof freshTables>>;
let journal: DynamoDbAccessJournal;
let service: JournalService;

const physician = requestFor('physician');
const nurse = requestFor('nurse');
const officer = requestFor('privacy-officer');

/** Seeds one access: who, to which patient, when. */
async function access(who: typeof physician, patient: string, recorded: string, interaction: 'read' | 'search-type' = 'read') {
  const event = auditEventFor({ ...who, interaction, patient, entities: [`Observation/${recorded}`], outcome: 'success', recorded: new Date(recorded), purposeOfUse: 'TREAT' });
  await journal.append(event, patient);
  return event.id;
}

/** Reading the journal journals it, at the present time: tests keep to the months the seeded accesses happened in. */
const seeded = ['date', 'lt2026-05-01'] as const;

const recordedOf = (page: { events: readonly { recorded: string }[] }) => page.events.map((event) => event.recorded);

beforeAll(async () => {
  env = await freshTables();
  journal = new DynamoDbAccessJournal(env.documentClient, env.names.audit);
  service = journalService(env.documentClient, env.names.audit);
  await access(physician, 'Patient/a', '2026-03-01T10:00:00.000Z');
  await access(nurse, 'Patient/a', '2026-03-02T10:00:00.000Z');
  await access(physician, 'Patient/a', '2026-03-03T10:00:00.000Z');
  await access(physician, 'Patient/b', '2026-03-02T12:00:00.000Z');
  await access(physician, 'Patient/c', '2026-04-15T08:30:00.000Z');
});

describe('reading the journal by patient', () => {
  it('lists the patient\'s entries newest first, rebuilt as the AuditEvents written', async () => {
    const page = await service.search(requestFor('privacy-officer'), [['patient', 'a'], seeded], 'patient=a');
    expect(recordedOf(page)).toEqual(['2026-03-03T10:00:00.000Z', '2026-03-02T10:00:00.000Z', '2026-03-01T10:00:00.000Z']);
    expect(page.events[1]?.agent[0]?.who?.identifier?.value).toBe(nurse.principal.sub);
    expect(page.cursor).toBeUndefined();
  });

  it('keeps to a date range (ge/le, and a day with eq) at the precision given', async () => {
    const ranged = await service.search(requestFor('privacy-officer'), [['patient', 'Patient/a'], ['date', 'ge2026-03-02'], ['date', 'le2026-03-02T23:59:59Z']], '');
    expect(recordedOf(ranged)).toEqual(['2026-03-02T10:00:00.000Z']);
    const day = await service.search(requestFor('privacy-officer'), [['patient', 'a'], ['date', '2026-03-03']], '');
    expect(recordedOf(day)).toEqual(['2026-03-03T10:00:00.000Z']);
    const before = await service.search(requestFor('privacy-officer'), [['patient', 'a'], ['date', 'lt2026-03-02']], '');
    expect(recordedOf(before)).toEqual(['2026-03-01T10:00:00.000Z']);
    const after = await service.search(requestFor('privacy-officer'), [['patient', 'a'], ['date', 'gt2026-03-02'], seeded], '');
    expect(recordedOf(after)).toEqual(['2026-03-03T10:00:00.000Z']);
  });

  it('pages with a cursor that only opens the same patient\'s journal', async () => {
    const first = await service.search(requestFor('privacy-officer'), [['patient', 'a'], seeded, ['_count', '2']], '');
    expect(recordedOf(first)).toEqual(['2026-03-03T10:00:00.000Z', '2026-03-02T10:00:00.000Z']);
    expect(first.cursor).toBeDefined();
    const second = await service.search(requestFor('privacy-officer'), [['patient', 'a'], seeded, ['_count', '2'], ['_cursor', first.cursor ?? '']], '');
    expect(recordedOf(second)).toEqual(['2026-03-01T10:00:00.000Z']);
    await expect(service.search(requestFor('privacy-officer'), [['patient', 'b'], ['_cursor', first.cursor ?? '']], '')).rejects.toMatchObject({ status: 400 });
  });

  it('narrows a patient\'s journal to one agent', async () => {
    const page = await service.search(requestFor('privacy-officer'), [['patient', 'a'], ['agent', nurse.principal.sub]], '');
    expect(recordedOf(page)).toEqual(['2026-03-02T10:00:00.000Z']);
  });
});

describe('reading the journal by agent (the agent index)', () => {
  it('lists what one agent did across patients, newest first, whole entries', async () => {
    const page = await service.search(requestFor('privacy-officer'), [['agent', `urn:dsc:cognito:sub|${physician.principal.sub}`], seeded], '');
    expect(recordedOf(page)).toEqual(['2026-04-15T08:30:00.000Z', '2026-03-03T10:00:00.000Z', '2026-03-02T12:00:00.000Z', '2026-03-01T10:00:00.000Z']);
    expect(page.events.map((event) => event.entity?.[0]?.what?.reference)).toEqual(['Patient/c', 'Patient/a', 'Patient/b', 'Patient/a']);
  });

  it('pages through the index', async () => {
    const first = await service.search(requestFor('privacy-officer'), [['agent', physician.principal.sub], seeded, ['_count', '3']], '');
    expect(first.events).toHaveLength(3);
    const second = await service.search(requestFor('privacy-officer'), [['agent', physician.principal.sub], seeded, ['_count', '3'], ['_cursor', first.cursor ?? '']], '');
    expect(recordedOf(second)).toEqual(['2026-03-01T10:00:00.000Z']);
  });

  it('journals the reading under each patient the page concerned', async () => {
    const reader = requestFor('privacy-officer');
    await service.search(reader, [['agent', nurse.principal.sub], seeded], `agent=${nurse.principal.sub}`);
    const mine = await journalOf('Patient/a', reader.requestId);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ outcomeDesc: 'success', subtype: [{ code: 'search-type' }], agent: [{ role: [{ coding: [{ code: 'privacy-officer' }] }] }] });
  });
});

describe('who may read it', () => {
  it('needs a subject or an agent: the whole journal is never read', async () => {
    await expect(service.search(requestFor('privacy-officer'), [['date', 'ge2026-01-01']], '')).rejects.toMatchObject({ status: 400 });
  });

  it.each([['physician'], ['clerk'], ['user-admin'], ['integration']] as [Role][])('refuses a %s with 403, journaled under the patient asked about', async (role) => {
    const caller = requestFor(role);
    await expect(service.search(caller, [['patient', 'a']], 'patient=a')).rejects.toMatchObject({ status: 403 });
    expect(await journalOf('Patient/a', caller.requestId)).toMatchObject([{ outcomeDesc: 'denied' }]);
  });
});

describe('the patient access report', () => {
  it('lists who accessed the file within the dates asked, and journals the report under the patient', async () => {
    const reader = requestFor('privacy-officer');
    const page = await service.accessReport(reader, 'Patient', 'a', [['date', 'ge2026-03-02'], seeded], 'date=ge2026-03-02');
    expect(recordedOf(page)).toEqual(['2026-03-03T10:00:00.000Z', '2026-03-02T10:00:00.000Z']);
    expect(await journalOf('Patient/a', reader.requestId)).toMatchObject([{ outcomeDesc: 'success', subtype: [{ code: 'instance-operation' }] }]);
  });

  it('is a Patient operation only (404), and for privacy officers only (403)', async () => {
    await expect(service.accessReport(officer, 'Observation', 'x', [], '')).rejects.toMatchObject({ status: 404 });
    await expect(service.accessReport(requestFor('nurse'), 'Patient', 'a', [], '')).rejects.toMatchObject({ status: 403 });
  });
});

async function journalOf(subject: string, requestId: string) {
  const result = await env.documentClient.send(new QueryCommand({ TableName: env.names.audit, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': subject }, ConsistentRead: true }));
  return (result.Items ?? []).map(auditEventOfItem).filter((event) => requestIdOf(event) === requestId);
}
