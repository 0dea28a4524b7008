import { CreateTableCommand, DynamoDBClient, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CallReading } from '../../bench/peer/call-meter';
import { fwoaPersistence } from '../../bench/peer/fwoa';
import { oursPersistence } from '../../bench/peer/ours';
import type { PersistenceUnderTest } from '../../bench/peer/persistence-under-test';
import { benchPatient } from '../../bench/synthea';
import { localCredentials } from '../../local/dynamodb';

const endpoint = inject('dynamoDbEndpoint');
const region = 'ca-central-1';
const client = new DynamoDBClient({ endpoint, region, credentials: localCredentials });
afterAll(() => client.destroy());

async function spent(system: PersistenceUnderTest, call: () => Promise<unknown>): Promise<CallReading> {
  system.meter.reset();
  await call();
  return system.meter.snapshot();
}

describe('FWoA’s persistence layer on DynamoDB Local', () => {
  let fwoa: PersistenceUnderTest;
  beforeAll(async () => {
    fwoa = await fwoaPersistence({ endpoint, region, client });
  });

  it('creates with one PutItem, billed as DynamoDB Local itself reports a single Put, across the 1 KB and 2 KB boundaries', async () => {
    // A single Put is what DynamoDB Local reports right: sizes that straddle a boundary check the byte count to within a few bytes.
    for (let length = 300; length <= 1800; length += 23) {
      const patient = { ...benchPatient('INT-1'), text: { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">${'é'.repeat(length / 2)}</div>` } };
      const reading = await spent(fwoa, () => fwoa.create(patient));
      expect(reading.byOperation).toEqual({ PutItem: 1 });
      expect({ length, wcu: reading.wcu }).toEqual({ length, wcu: reading.reportedWcu });
    }
  });

  it('reads with one eventually consistent Query', async () => {
    const id = await fwoa.create(benchPatient('INT-2'));
    const reading = await spent(fwoa, () => fwoa.read('Patient', id));
    expect(reading.byOperation).toEqual({ Query: 1 });
    expect(reading.rcu).toBe(0.5);
    expect(reading.rcu).toBe(reading.reportedRcu);
  });

  it('updates by reading twice, then locking, staging and unlocking in three transactions', async () => {
    const id = await fwoa.create(benchPatient('INT-3'));
    const reading = await spent(fwoa, () => fwoa.update({ ...benchPatient('INT-3'), id, gender: 'other' }));
    expect(reading.byOperation).toEqual({ Query: 2, TransactWriteItems: 3 });
    // Each item under 1 KB: lock 1 item, stage 1 Put, unlock 2 items; 2 units per item in a transaction.
    expect(reading.wcu).toBe(8);
    expect(fwoa.meter.known.guessed).toBe(0);
  });
});

describe('DSC’s domain services on DynamoDB Local', () => {
  it('journals a read with one PutItem, its index copy included, as DynamoDB Local reports it', async () => {
    const dsc = await oursPersistence({ endpoint, region });
    const id = await dsc.create(benchPatient('INT-4'));
    const reading = await spent(dsc, () => dsc.read('Patient', id));
    expect(reading.byOperation.PutItem).toBe(1);
    expect(reading.wcu).toBe(reading.reportedWcu);
  });
});

describe('DynamoDB Local 3.3’s report for TransactWriteItems (why the side by side computes units itself)', () => {
  it('reports 2 units for five small Puts, where DynamoDB bills 2 per item', async () => {
    const TableName = `peer-undercount-${Date.now()}`;
    await client.send(new CreateTableCommand({ TableName, BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }] }));
    const puts = Array.from({ length: 5 }, (_, i) => ({ Put: { TableName, Item: { pk: { S: `item-${i}` } } } }));
    const result = await client.send(new TransactWriteItemsCommand({ TransactItems: puts, ReturnConsumedCapacity: 'TOTAL' }));
    // If this fails, DynamoDB Local counts transactions right now: revisit capacity-rules.ts and docs/performance.md.
    expect(result.ConsumedCapacity?.[0]?.CapacityUnits).toBe(2);
  });
});
