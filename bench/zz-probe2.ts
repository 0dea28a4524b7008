import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { performance } from 'node:perf_hooks';
import { Children } from '../local/children';
import { startDynamoDbLocal, ensureTables } from '../local/dynamodb';
import { freePort } from '../local/ports';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
async function main() {
  const children = new Children((m) => console.log(m));
  const port = await freePort();
  const raw = await startDynamoDbLocal(children, { port });
  const tables = await ensureTables(raw);
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: `http://127.0.0.1:${port}`, region: 'ca-central-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }));
  for (const conc of [1, 8, 16, 32]) {
    const n = 2000; let next = 0; const t = performance.now();
    await Promise.all(Array.from({ length: conc }, async () => { while (next < n) { const i = next++; await doc.send(new PutCommand({ TableName: tables.record, Item: { pk: `s#Observation#code#*|${i % 20}`, sk: `${conc}-${i}-abcdef-1234-5678`, ref: `Observation/${i}`, versionId: 1 }, ConditionExpression: 'attribute_not_exists(pk) OR versionId <= :v', ExpressionAttributeValues: { ':v': 1 } })); } }));
    console.log('put conc', conc, (n / ((performance.now() - t) / 1000)).toFixed(0), '/s');
  }
  for (const conc of [4, 8]) {
    const n = 20000; let next = 0; const t = performance.now();
    await Promise.all(Array.from({ length: conc }, async () => { while (next < n) { const start = next; next += 25; await doc.send(new BatchWriteCommand({ RequestItems: { [tables.record]: Array.from({ length: 25 }, (_, k) => ({ PutRequest: { Item: { pk: `s#Observation#code#*|${(start + k) % 20}`, sk: `b${conc}-${start + k}-abcdef`, ref: `Observation/${start + k}`, versionId: 1 } } })) } })); } }));
    console.log('batch conc', conc, (n / ((performance.now() - t) / 1000)).toFixed(0), 'items/s');
  }
  await children.stopAll();
}
main().catch((e) => { console.error(e); process.exit(1); });
