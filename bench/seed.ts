import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ResourceType } from '../lambdas/fhir/registry/registry';
import { validateResource } from '../lambdas/fhir/validation';
import { writeServices } from '../lambdas/record/compose-write';
import type { RequestContext } from '../lambdas/record/request-context';
import type { StackInfo } from '../local/stack';
import { encounter, encountersFor, observation, patient, patientsFor } from './synthea';

type Item = Record<string, unknown>;

interface Group {
  readonly puts: readonly { readonly table: string; readonly item: Item }[];
  resolve(): void;
  reject(error: unknown): void;
}

/** Items per BatchWriteItem (DynamoDB's limit). */
const batchLimit = 25;
const maxInFlight = 4;

/**
 * Sends the write service's transactions as BatchWriteItem requests, several transactions per
 * request. DynamoDB Local serves a TransactWriteItems of 3 actions several times slower than a
 * batch of 25 puts, and the seed is what makes a 20k-resource run fit in minutes. The items are
 * exactly those the write service built (version, `ident#`/`cmp#` items, journal entries); only
 * the transaction's conditions are dropped, which cannot matter here: every seeded key is new
 * (fresh or bench-only ids, one writer per resource). The record table's stream sees the same
 * INSERTs, so the index processor does its ordinary work.
 */
class TransactionBatcher {
  private queue: Group[] = [];
  private queued = 0;
  private inFlight = 0;
  private scheduled = false;

  constructor(private readonly client: DynamoDBDocumentClient) {}

  add(puts: Group['puts']): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ puts, resolve, reject });
      this.queued += puts.length;
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < maxInFlight && this.queued >= batchLimit) this.send();
    if (this.queued > 0 && !this.scheduled) {
      // Let the writers that are about to commit join this batch, then send whatever is there.
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        if (this.inFlight < maxInFlight && this.queued > 0) this.send();
        if (this.queued > 0) this.pump();
      });
    }
  }

  private send(): void {
    const groups: Group[] = [];
    let size = 0;
    for (let group = this.queue[0]; group && size + group.puts.length <= batchLimit; group = this.queue[0]) {
      this.queue.shift();
      groups.push(group);
      size += group.puts.length;
    }
    if (groups.length === 0) throw new Error('a seeded transaction has more than 25 items');
    this.queued -= size;
    this.inFlight++;
    this.write(groups.flatMap((group) => group.puts))
      .then(
        () => {
          for (const group of groups) group.resolve();
        },
        (error: unknown) => {
          for (const group of groups) group.reject(error);
        },
      )
      .finally(() => {
        this.inFlight--;
        this.pump();
      });
  }

  private async write(puts: Group['puts']): Promise<void> {
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

/**
 * Grows the bench record in-process through the composition root (`writeServices`): the same
 * validation, search-value extraction, index items and journal entries as the API, without the
 * HTTP and worker hops. Patients and Encounters get bench ids (update as create, as the demo
 * loader does); Observations are plain creates with server ids.
 */
export class Seeder {
  private observations = 0;
  private patients = 0;
  private encounters = 0;
  private readonly services;
  private readonly ctx: RequestContext = {
    principal: { kind: 'system', sub: 'dsc-bench-seeder', username: 'npm run bench (seed)', clientId: 'local', roles: ['integration'], scopes: ['dsc-fhir/fhir.read', 'dsc-fhir/fhir.write'] },
    requestId: 'dsc-bench-seed',
  };

  constructor(info: StackInfo) {
    const client = new DynamoDBClient({ endpoint: info.dynamoDb.endpoint, region: info.cognito.region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 5 });
    const documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
    const batcher = new TransactionBatcher(DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: info.dynamoDb.endpoint, region: info.cognito.region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 5 }), { marshallOptions: { removeUndefinedValues: true } }));
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName !== 'TransactWriteItemsCommand') return next(args);
        const actions = (args.input as { TransactItems: { Put?: { TableName: string; Item: Item } }[] }).TransactItems;
        const puts = actions.map((action) => {
          if (!action.Put) throw new Error('the seeder only creates resources: a transaction with a delete or an update reached it');
          return { table: action.Put.TableName, item: action.Put.Item };
        });
        await batcher.add(puts);
        return { output: { $metadata: {} }, response: {} };
      },
      { step: 'initialize', name: 'benchSeedBatching' },
    );
    this.services = writeServices(documents, info.dynamoDb.tables, validateResource);
  }

  get observationCount(): number {
    return this.observations;
  }

  /** Writes Observations up to `target` (and the Patients and Encounters they refer to). */
  async growTo(target: number, concurrency: number, progress: SeedProgress): Promise<{ resources: number; seconds: number }> {
    const started = performance.now();
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
      // Jobs start in order (Patients, Encounters, then Observations); the store checks no references anyway.
      for (let job = jobs[next++]; job; job = jobs[next++]) {
        await job();
        done++;
        if (performance.now() - lastReport > 5000) {
          lastReport = performance.now();
          progress(`seeded ${done}/${jobs.length} resources (${Math.round(done / ((lastReport - started) / 1000))}/s)`);
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    this.patients = Math.max(this.patients, patientsFor(target));
    this.encounters = Math.max(this.encounters, encountersFor(target));
    this.observations = Math.max(this.observations, target);
    return { resources: jobs.length, seconds: (performance.now() - started) / 1000 };
  }
}
