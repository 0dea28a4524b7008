import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ResourceType } from '../lambdas/fhir/registry/registry';
import { validateResource } from '../lambdas/fhir/validation';
import { writeServices } from '../lambdas/record/compose-write';
import type { RequestContext } from '../lambdas/record/request-context';
import { firstVersionIndexItems } from '../lambdas/search/search-indexer';
import { recordOf } from '../lambdas/store/dynamodb-record-store';
import { skName, versionPrefix } from '../lambdas/store/keys';
import type { StackInfo } from '../local/stack';
import { encounter, encountersFor, observation, patient, patientsFor } from './synthea';

type Item = Record<string, unknown>;
interface Put {
  readonly table: string;
  readonly item: Item;
}

/** Items per BatchWriteItem (DynamoDB's limit). */
const batchLimit = 25;
/** BatchWriteItem requests in flight: DynamoDB Local on 2 cores writes fastest at about 8. */
const maxInFlight = 8;

/**
 * Writes items with BatchWriteItem, 25 at a time and `maxInFlight` requests at once, retrying
 * what DynamoDB leaves unprocessed. `add` returns once its items are queued (it waits only when
 * every slot is busy); `flush` waits for them all and throws the first failure.
 */
class BatchWriter {
  private pending: Put[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private failure: Error | undefined;
  written = 0;

  constructor(private readonly client: DynamoDBDocumentClient) {}

  async add(puts: readonly Put[]): Promise<void> {
    this.pending.push(...puts);
    while (this.pending.length >= batchLimit) await this.sendOne();
  }

  async flush(): Promise<void> {
    while (this.pending.length > 0) await this.sendOne();
    await Promise.all(this.inFlight);
    if (this.failure !== undefined) throw this.failure;
  }

  private async sendOne(): Promise<void> {
    while (this.inFlight.size >= maxInFlight) await Promise.race(this.inFlight);
    if (this.failure !== undefined) throw this.failure;
    const puts = this.pending.splice(0, batchLimit);
    if (puts.length === 0) return;
    const request: Promise<void> = this.write(puts)
      .then(() => void (this.written += puts.length))
      .catch((error: unknown) => void (this.failure ??= error instanceof Error ? error : new Error(String(error))))
      .finally(() => this.inFlight.delete(request));
    this.inFlight.add(request);
  }

  private async write(puts: readonly Put[]): Promise<void> {
    type Requests = Record<string, { PutRequest: { Item: Item } }[]>;
    const all: Requests = {};
    for (const { table, item } of puts) (all[table] ??= []).push({ PutRequest: { Item: item } });
    let requests: Requests | undefined = all;
    for (let attempt = 0; requests !== undefined && Object.keys(requests).length > 0; attempt++) {
      if (attempt > 10) throw new Error('BatchWriteItem kept leaving items unprocessed');
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
      const result = await this.client.send(new BatchWriteCommand({ RequestItems: requests }));
      requests = result.UnprocessedItems as Requests | undefined;
    }
  }
}

export interface SeedProgress {
  (line: string): void;
}

const localClient = (info: StackInfo) =>
  DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: info.dynamoDb.endpoint, region: info.cognito.region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 5 }), {
    marshallOptions: { removeUndefinedValues: true },
  });

/**
 * Grows the bench record in bulk, with exactly the items the API would leave behind: each
 * resource goes through the write service of the composition root (validation, search values,
 * the version item and the `ident#`/`cmp#` items its transaction writes), whose
 * TransactWriteItems is caught before it leaves and sent as BatchWriteItem instead, together with
 * the index processor's items for that version (`firstVersionIndexItems`, the processor's own
 * builder). The caller runs it inside `LocalStack.withoutIndexing`, so the processor does not
 * index the same versions again one by one.
 *
 * Dropped on the way, which no measured request can notice: the transaction's conditions (every
 * seeded key is new, one writer per resource) and the seed's own journal entries (audit table).
 * Patients and Encounters get bench ids (update as create, as the demo loader does);
 * Observations are plain creates with server ids.
 */
export class Seeder {
  private observations = 0;
  private patients = 0;
  private encounters = 0;
  private readonly services;
  private readonly batches;
  private readonly ctx: RequestContext = {
    principal: { kind: 'system', sub: 'dsc-bench-seeder', username: 'npm run bench (seed)', clientId: 'local', roles: ['integration'], scopes: ['dsc-fhir/fhir.read', 'dsc-fhir/fhir.write'] },
    requestId: 'dsc-bench-seed',
  };

  constructor(info: StackInfo) {
    const { record } = info.dynamoDb.tables;
    const batches = new BatchWriter(localClient(info));
    const documents = localClient(info);
    documents.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName !== 'TransactWriteItemsCommand') return next(args);
        const actions = (args.input as { TransactItems: { Put?: { TableName: string; Item: Item } }[] }).TransactItems;
        const puts = actions.flatMap(({ Put }) => {
          if (!Put) throw new Error('the seeder only creates resources: a transaction with a delete or an update reached it');
          if (Put.TableName !== record) return [];
          const sortKey = Put.Item[skName];
          const index = typeof sortKey === 'string' && sortKey.startsWith(versionPrefix) ? firstVersionIndexItems(recordOf(Put.Item)) : [];
          return [Put.Item, ...index].map((item) => ({ table: record, item }));
        });
        await batches.add(puts);
        return { output: { $metadata: {} }, response: {} };
      },
      { step: 'initialize', name: 'benchSeedBatching' },
    );
    this.batches = batches;
    this.services = writeServices(documents, info.dynamoDb.tables, validateResource);
  }

  get observationCount(): number {
    return this.observations;
  }

  /** Writes Observations up to `target` (and the Patients and Encounters they refer to). */
  async growTo(target: number, concurrency: number, progress: SeedProgress): Promise<{ resources: number; items: number; seconds: number }> {
    const started = performance.now();
    const itemsBefore = this.batches.written;
    const jobs: (() => Promise<unknown>)[] = [];
    const { writer } = this.services;
    const put = (type: ResourceType, resource: { id: string }) => () => writer.update(this.ctx, type, resource.id, () => resource);
    for (let p = this.patients; p < patientsFor(target); p++) jobs.push(put('Patient', patient(p)));
    for (let e = this.encounters; e < encountersFor(target); e++) jobs.push(put('Encounter', encounter(e)));
    for (let o = this.observations; o < target; o++) jobs.push(() => writer.create(this.ctx, 'Observation', () => observation(o)));

    let next = 0;
    let done = 0;
    let lastReport = performance.now();
    const worker = async () => {
      for (let job = jobs[next++]; job; job = jobs[next++]) {
        await job();
        done++;
        if (performance.now() - lastReport > 10_000) {
          lastReport = performance.now();
          const seconds = (lastReport - started) / 1000;
          progress(`seeded ${done}/${jobs.length} resources (${Math.round(done / seconds)}/s, ${Math.round((this.batches.written - itemsBefore) / seconds)} items/s)`);
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    await this.batches.flush();
    this.patients = Math.max(this.patients, patientsFor(target));
    this.encounters = Math.max(this.encounters, encountersFor(target));
    this.observations = Math.max(this.observations, target);
    return { resources: jobs.length, items: this.batches.written - itemsBefore, seconds: (performance.now() - started) / 1000 };
  }
}
