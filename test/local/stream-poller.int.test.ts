import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { validateResource } from '../../lambdas/fhir/validation';
import { writeServices } from '../../lambdas/record/compose-write';
import { firstVersionIndexItems, SearchIndexer } from '../../lambdas/search/search-indexer';
import { localCredentials } from '../../local/dynamodb';
import { StreamPoller } from '../../local/stream-poller';
import { freshTables } from '../support/dynamodb';
import { contextFor } from '../support/principals';

/** What the bench's bulk seed relies on: a pause of the stream's delivery that skips what it wrote, and the processor's own item builder. */

describe('StreamPoller.skipping', () => {
  let poller: StreamPoller | undefined;
  afterAll(async () => {
    await poller?.stop();
  });

  it('never delivers the records written inside it, and delivers those written before and after', async () => {
    const { client, documentClient, names } = await freshTables();
    const delivered: string[] = [];
    poller = new StreamPoller(client, {
      endpoint: inject('dynamoDbEndpoint'),
      region: 'ca-central-1',
      credentials: localCredentials,
      tableName: names.record,
      deliver: (event) => {
        delivered.push(...event.Records.map((record) => String(record.dynamodb?.Keys?.pk?.S)));
        return Promise.resolve({ batchItemFailures: [] });
      },
      onError: (message) => {
        throw new Error(message);
      },
      intervalMs: 20,
    });
    poller.start();
    const put = (pk: string) => documentClient.send(new PutCommand({ TableName: names.record, Item: { pk, sk: '-' } }));

    await put('before');
    await poller.drained();
    await poller.drained();
    await poller.skipping(() => Promise.all([put('inside-1'), put('inside-2')]));
    await put('after');
    await poller.drained();
    await poller.drained();

    expect(delivered).toEqual(['before', 'after']);
  });
});

describe('firstVersionIndexItems', () => {
  it('builds exactly the items the processor puts for a first version', async () => {
    const { documentClient, names } = await freshTables();
    const { writer } = writeServices(documentClient, names, validateResource);
    const { version } = await writer.create(contextFor('integration'), 'Patient', () => ({ resourceType: 'Patient', name: [{ family: 'Seeded', given: ['Bulk'] }], gender: 'female' }));
    await new SearchIndexer(documentClient, names.record).indexVersion(version);

    const items = firstVersionIndexItems(version);
    expect(items.length).toBeGreaterThan(3);
    for (const item of items) {
      const stored = await documentClient.send(new GetCommand({ TableName: names.record, Key: { pk: item.pk, sk: item.sk } }));
      expect(stored.Item).toEqual(item);
    }
  });
});
