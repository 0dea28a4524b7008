import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { auditEventFor } from '../../../lambdas/audit/audit-event';
import { VersionConflict } from '../../../lambdas/fhir/errors';
import { DynamoDbRecordStore } from '../../../lambdas/store/dynamodb-record-store';
import type { StoredResource } from '../../../lambdas/store/record-store';
import { freshTables } from '../../support/dynamodb';
import { contextFor } from '../../support/principals';

function patient(id: string, family = 'Tremblay'): StoredResource {
  return { resourceType: 'Patient', id, meta: { versionId: '1', lastUpdated: '2026-11-25T10:00:00.000Z' }, name: [{ family }] };
}

function journalEntryFor(id: string) {
  const facts = { ...contextFor('physician'), interaction: 'create' as const, entity: `Patient/${id}`, patient: `Patient/${id}`, outcome: 'success' as const, recorded: new Date() };
  return { event: auditEventFor(facts), patient: `Patient/${id}` };
}

describe('DynamoDbRecordStore against DynamoDB Local', () => {
  let env: Awaited<ReturnType<typeof freshTables>>;
  let store: DynamoDbRecordStore;

  beforeAll(async () => {
    env = await freshTables();
    store = new DynamoDbRecordStore(env.documentClient, env.names);
  });

  async function journalOf(reference: string) {
    const result = await env.documentClient.send(
      new QueryCommand({ TableName: env.names.audit, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': reference }, ConsistentRead: true }),
    );
    return (result.Items ?? []).map((item) => JSON.parse(item.event as string));
  }

  it('reads back exactly the resource it created, with its journal entry committed beside it', async () => {
    const created = patient('p-1');
    await store.create(created, journalEntryFor('p-1'));
    expect(await store.readCurrent('Patient', 'p-1')).toEqual(created);
    const journal = await journalOf('Patient/p-1');
    expect(journal).toHaveLength(1);
    expect(journal[0]).toMatchObject({ resourceType: 'AuditEvent', action: 'C', outcome: '0' });
  });

  it('returns undefined for an unknown id, and does not confuse types that share an id', async () => {
    await store.create(patient('shared-id'), journalEntryFor('shared-id'));
    expect(await store.readCurrent('Patient', 'no-such-id')).toBeUndefined();
    expect(await store.readCurrent('Observation', 'shared-id')).toBeUndefined();
  });

  it('refuses a second create of the same id with VersionConflict and writes neither item', async () => {
    await store.create(patient('p-dup', 'First'), journalEntryFor('p-dup'));
    await expect(store.create(patient('p-dup', 'Second'), journalEntryFor('p-dup'))).rejects.toBeInstanceOf(VersionConflict);
    expect(await store.readCurrent('Patient', 'p-dup')).toMatchObject({ name: [{ family: 'First' }] });
    expect(await journalOf('Patient/p-dup')).toHaveLength(1);
  });

  it('lets exactly one of two racing creates of the same id win', async () => {
    const results = await Promise.allSettled([
      store.create(patient('p-race', 'A'), journalEntryFor('p-race')),
      store.create(patient('p-race', 'B'), journalEntryFor('p-race')),
    ]);
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    const loser = results.find((result) => result.status === 'rejected') as PromiseRejectedResult;
    expect(loser.reason).toBeInstanceOf(VersionConflict);
    expect(await journalOf('Patient/p-race')).toHaveLength(1);
  });

  it('keeps decimal precision by storing the resource as JSON text', async () => {
    const withDecimal = { ...patient('p-dec'), extension: [{ url: 'urn:test', valueDecimal: 0.1 + 0.2 }] };
    await store.create(withDecimal, journalEntryFor('p-dec'));
    expect(await store.readCurrent('Patient', 'p-dec')).toEqual(withDecimal);
  });
});
