import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { parse, stringify } from 'lossless-json';
import { journalItem, journalPutCondition } from '../audit/access-journal';
import { PayloadTooLarge, ServiceUnavailable, VersionConflict } from '../fhir/errors';
import type { IdempotencyRecord } from '../record/idempotency';
import type { SearchValues } from '../search/search-values';
import { decodeCursor, encodeCursor } from './cursor';
import {
  compartmentKey,
  guardKey,
  guardSortKey,
  idempotencyKeyItemKey,
  identifierKey,
  pkName,
  referenceOf,
  resourceKey,
  skName,
  splitReference,
  typeHistoryKey,
  versionPrefix,
  versionSortKey,
} from './keys';
import type { IndexQuery, JournalEntry, Page, PageRequest, RecordStore, StoredResource, VersionPointer, VersionRecord, VersionWrite } from './record-store';

export interface RecordTableNames {
  readonly record: string;
  readonly audit: string;
}

/** Thrown when a conditional create's guard is already held: the caller re-runs its search. */
export class GuardTaken extends Error {
  override readonly name = 'GuardTaken';
}

/** Thrown when a create's Idempotency-Key was claimed by another request (committed, or committing): the caller reads what it made. */
export class IdempotencyKeyTaken extends Error {
  override readonly name = 'IdempotencyKeyTaken';
}

/**
 * A multi-version commit was cancelled because of the write at `writeIndex`: its version or, when
 * `guard`, its create guard, or when `idempotencyKey`, its create's key was taken.
 */
export class WriteCancelled extends Error {
  override readonly name = 'WriteCancelled';
  constructor(
    readonly writeIndex: number,
    readonly guard: boolean,
    readonly idempotencyKey = false,
  ) {
    super(`Write ${writeIndex} of the transaction was cancelled`);
  }
}

/** TransactWriteItems' limits: 100 actions and 4 MB in all (DynamoDB service quotas). */
export const maxTransactionActions = 100;
export const maxTransactionBytes = 4 * 1024 * 1024;

/**
 * DynamoDB keeps items to 400 KB. The limit is checked before writing, with room for the other
 * attributes, so an oversized resource is a clear 413 rather than a driver error.
 */
export const maxVersionItemBytes = 380 * 1024;

type Item = Record<string, unknown>;
type TransactItem = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>[number];
/** What a conditional action of a write claims; the index items carry no condition. */
type Claim = 'version' | 'guard' | 'idempotency-key' | 'index';

/** One item per version; the resource is kept as lossless JSON text so FHIR decimals keep their precision. */
export class DynamoDbRecordStore implements RecordStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableNames: RecordTableNames,
  ) {}

  async commit(write: VersionWrite): Promise<void> {
    try {
      await this.commitAll([write], write.journal);
    } catch (error) {
      if (!(error instanceof WriteCancelled)) throw error;
      if (error.idempotencyKey) throw new IdempotencyKeyTaken();
      if (error.guard) throw new GuardTaken();
      throw new VersionConflict(`${referenceOf(write.next.resourceType, write.next.id)} was changed by another request; read it again and retry`);
    }
  }

  /**
   * Commits several versions, their index items and the journal entries in one TransactWriteItems:
   * all or nothing. Counted before sending: beyond DynamoDB's limits, PayloadTooLarge and nothing
   * written. WriteCancelled names the write whose condition failed (its journal entries aside).
   */
  async commitAll(writes: readonly VersionWrite[], journal: readonly JournalEntry[]): Promise<void> {
    const owners: { write: number; claim: Claim }[] = [];
    const actions: TransactItem[] = [];
    writes.forEach((write, index) => {
      for (const action of this.actionsOf(write)) {
        owners.push({ write: index, claim: action.claim });
        actions.push(action.item);
      }
    });
    for (const entry of journal) {
      actions.push({ Put: { TableName: this.tableNames.audit, Item: journalItem(entry.event, entry.patient), ConditionExpression: journalPutCondition } });
    }
    assertFitsOneTransaction(actions);
    try {
      await this.client.send(new TransactWriteCommand({ TransactItems: actions }));
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const reasons = error.CancellationReasons ?? [];
      const failed = (code: string) => reasons.flatMap((reason, index) => (reason.Code === code && owners[index] ? [owners[index]] : []));
      const first = (candidates: (typeof owners)[number][], claim: Claim) => candidates.find((candidate) => candidate.claim === claim);
      // A taken key first, so a retried create answers as the one that claimed it; then a taken guard,
      // so a conditional create re-runs its search and finds the winner. A conflict with a transaction
      // still in progress counts as losing to it.
      const checks = failed('ConditionalCheckFailed');
      const conflicts = failed('TransactionConflict');
      const owner = first(checks, 'idempotency-key') ?? first(checks, 'guard') ?? checks[0] ?? first(conflicts, 'idempotency-key') ?? conflicts[0];
      if (owner) throw new WriteCancelled(owner.write, owner.claim === 'guard', owner.claim === 'idempotency-key');
      // DynamoDB throttled one of the items: nothing was written, and a retry shortly after may pass.
      if (reasons.some((reason) => reason.Code === 'ThrottlingError')) throw new ServiceUnavailable('The record store is busy; nothing was written, retry shortly');
      // Anything else (ValidationError: a request this code built wrongly) is a server error, logged by the middleware.
      throw error;
    }
  }

  private actionsOf(write: VersionWrite): { item: TransactItem; claim: Claim }[] {
    const { next, previous, guard, idempotency } = write;
    const reference = referenceOf(next.resourceType, next.id);
    const record = this.tableNames.record;
    const actions: { item: TransactItem; claim: Claim }[] = [
      // Its condition failing means a concurrent writer took this version.
      { item: { Put: { TableName: record, Item: versionItem(next), ConditionExpression: `attribute_not_exists(${pkName})` } }, claim: 'version' },
    ];
    const add = (item: TransactItem) => actions.push({ item, claim: 'index' });
    if (guard) {
      actions.push({
        item: {
          Put: {
            TableName: record,
            Item: { [pkName]: guardKey(guard.resourceType, guard.criteria), [skName]: guardSortKey, holder: reference },
            ConditionExpression: guard.replaces ? `attribute_not_exists(${pkName}) OR holder = :stale` : `attribute_not_exists(${pkName})`,
            ExpressionAttributeValues: guard.replaces ? { ':stale': guard.replaces } : undefined,
          },
        },
        claim: 'guard',
      });
    }
    if (idempotency) {
      const item = { [pkName]: idempotencyKeyItemKey(idempotency.key), [skName]: guardSortKey, holder: reference, versionId: next.versionId, fingerprint: idempotency.fingerprint };
      actions.push({ item: { Put: { TableName: record, Item: item, ConditionExpression: `attribute_not_exists(${pkName})` } }, claim: 'idempotency-key' });
    }
    const keep = (keys: readonly string[]) => new Set(next.deleted ? [] : keys);
    const identifiers = keep(next.identifiers);
    for (const identifier of identifiers) {
      const [system, value] = splitIdentifier(identifier);
      add({ Put: { TableName: record, Item: { [pkName]: identifierKey(next.resourceType, system, value), [skName]: reference, versionId: next.versionId } } });
    }
    for (const identifier of previous?.identifiers ?? []) {
      if (identifiers.has(identifier)) continue;
      const [system, value] = splitIdentifier(identifier);
      add({ Delete: { TableName: record, Key: { [pkName]: identifierKey(next.resourceType, system, value), [skName]: reference } } });
    }
    const compartments = keep(next.compartments);
    for (const patient of compartments) {
      add({ Put: { TableName: record, Item: { [pkName]: compartmentKey(patient), [skName]: reference, versionId: next.versionId, lastUpdated: next.lastUpdated } } });
    }
    for (const patient of previous?.compartments ?? []) {
      if (!compartments.has(patient)) add({ Delete: { TableName: record, Key: { [pkName]: compartmentKey(patient), [skName]: reference } } });
    }
    return actions;
  }

  async readCurrent(resourceType: string, id: string): Promise<VersionRecord | undefined> {
    const result = await this.client.send(
      new QueryCommand({
        ...this.versionsQuery(resourceType, id),
        ScanIndexForward: false,
        Limit: 1,
      }),
    );
    const item = result.Items?.[0];
    return item ? recordOf(item) : undefined;
  }

  async readVersion(resourceType: string, id: string, versionId: number): Promise<VersionRecord | undefined> {
    const result = await this.client.send(
      new GetCommand({ TableName: this.tableNames.record, Key: { [pkName]: resourceKey(resourceType, id), [skName]: versionSortKey(versionId) }, ConsistentRead: true }),
    );
    return result.Item ? recordOf(result.Item) : undefined;
  }

  async readVersions(pointers: readonly VersionPointer[]): Promise<VersionRecord[]> {
    const found = new Map<string, VersionRecord>();
    const keyOf = (pointer: VersionPointer) => {
      const { resourceType, id } = splitReference(pointer.reference);
      return { [pkName]: resourceKey(resourceType, id), [skName]: versionSortKey(pointer.versionId) };
    };
    // BatchGetItem takes 100 keys a call and may hand some back unprocessed under load.
    const unique = [...new Map(pointers.map((pointer) => [`${pointer.reference}@${pointer.versionId}`, pointer])).values()];
    for (let start = 0; start < unique.length; start += 100) {
      let keys: Item[] | undefined = unique.slice(start, start + 100).map(keyOf);
      for (let attempt = 0; keys && keys.length > 0; attempt++) {
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 25 * 2 ** attempt)));
        const result = await this.client.send(new BatchGetCommand({ RequestItems: { [this.tableNames.record]: { Keys: keys, ConsistentRead: true } } }));
        for (const item of result.Responses?.[this.tableNames.record] ?? []) {
          const record = recordOf(item);
          found.set(`${referenceOf(record.resourceType, record.id)}@${record.versionId}`, record);
        }
        keys = result.UnprocessedKeys?.[this.tableNames.record]?.Keys as Item[] | undefined;
        if (attempt > 8 && keys?.length) throw Object.assign(new Error('BatchGetItem left keys unprocessed'), { name: 'ThrottlingException' });
      }
    }
    return pointers.flatMap((pointer) => found.get(`${pointer.reference}@${pointer.versionId}`) ?? []);
  }

  async history(resourceType: string, id: string, page: PageRequest & { since?: string }): Promise<Page<VersionRecord>> {
    const query = this.versionsQuery(resourceType, id);
    const result = await this.client.send(
      new QueryCommand({
        ...query,
        ...(page.since ? { FilterExpression: 'lastUpdated >= :since', ExpressionAttributeValues: { ...query.ExpressionAttributeValues, ':since': page.since } } : {}),
        ScanIndexForward: !page.descending,
        Limit: page.limit,
        ExclusiveStartKey: decodeCursor(page.cursor, { name: pkName, value: resourceKey(resourceType, id) }),
      }),
    );
    return { items: (result.Items ?? []).map(recordOf), next: encodeCursor(result.LastEvaluatedKey) };
  }

  async typeHistory(resourceType: string, page: PageRequest & { since?: string }): Promise<Page<VersionPointer>> {
    const pk = typeHistoryKey(resourceType);
    const result = await this.query(
      {
        KeyConditionExpression: page.since ? '#pk = :pk AND #sk >= :since' : '#pk = :pk',
        ExpressionAttributeValues: { ':pk': pk, ...(page.since ? { ':since': page.since } : {}) },
      },
      pk,
      page,
    );
    return { items: result.items.map(pointerOf), next: result.next };
  }

  async findByIdentifier(resourceType: string, system: string, value: string): Promise<string[]> {
    const pk = identifierKey(resourceType, system, value);
    const result = await this.query({ KeyConditionExpression: '#pk = :pk', ExpressionAttributeValues: { ':pk': pk } }, pk, { limit: 100 });
    return result.items.map((item) => item[skName] as string);
  }

  async compartment(patient: string, page: PageRequest & { resourceType?: string }): Promise<Page<VersionPointer & { lastUpdated: string }>> {
    const pk = compartmentKey(patient);
    const result = await this.query(
      {
        KeyConditionExpression: page.resourceType ? '#pk = :pk AND begins_with(#sk, :type)' : '#pk = :pk',
        ExpressionAttributeValues: { ':pk': pk, ...(page.resourceType ? { ':type': `${page.resourceType}/` } : {}) },
      },
      pk,
      page,
    );
    return {
      items: result.items.map((item) => ({ reference: item[skName] as string, versionId: item.versionId as number, lastUpdated: item.lastUpdated as string, position: positionOf(item) })),
      next: result.next,
    };
  }

  async guardHolder(resourceType: string, criteria: string): Promise<string | undefined> {
    const result = await this.client.send(
      new GetCommand({ TableName: this.tableNames.record, Key: { [pkName]: guardKey(resourceType, criteria), [skName]: guardSortKey }, ConsistentRead: true }),
    );
    return result.Item?.holder as string | undefined;
  }

  async idempotencyRecord(claimKey: string): Promise<IdempotencyRecord | undefined> {
    const result = await this.client.send(
      new GetCommand({ TableName: this.tableNames.record, Key: { [pkName]: idempotencyKeyItemKey(claimKey), [skName]: guardSortKey }, ConsistentRead: true }),
    );
    const item = result.Item;
    return item ? { holder: item.holder as string, versionId: item.versionId as number, fingerprint: item.fingerprint as string } : undefined;
  }

  async queryIndex(query: IndexQuery, page: PageRequest): Promise<Page<VersionPointer>> {
    const values: Item = { ':pk': query.pk };
    let condition = '#pk = :pk';
    const sk = query.sk;
    if (sk?.op === 'begins_with') {
      condition += ' AND begins_with(#sk, :v)';
      values[':v'] = sk.value;
    } else if (sk?.op === 'between') {
      condition += ' AND #sk BETWEEN :low AND :high';
      Object.assign(values, { ':low': sk.low, ':high': sk.high });
    } else if (sk) {
      condition += ` AND #sk ${sk.op} :v`;
      values[':v'] = sk.value;
    }
    const result = await this.query({ KeyConditionExpression: condition, ExpressionAttributeValues: values }, query.pk, page);
    return { items: result.items.map(pointerOf), next: result.next };
  }

  private versionsQuery(resourceType: string, id: string) {
    return {
      TableName: this.tableNames.record,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :versions)',
      ExpressionAttributeNames: { '#pk': pkName, '#sk': skName },
      ExpressionAttributeValues: { ':pk': resourceKey(resourceType, id), ':versions': versionPrefix } as Item,
      // Read-your-writes: a client that just wrote a resource must read that version.
      ConsistentRead: true,
    };
  }

  private async query(input: Pick<QueryCommandInput, 'KeyConditionExpression' | 'ExpressionAttributeValues'>, pk: string, page: PageRequest): Promise<{ items: Item[]; next?: string }> {
    const result = await this.client.send(
      new QueryCommand({
        TableName: this.tableNames.record,
        ...input,
        ExpressionAttributeNames: input.KeyConditionExpression?.includes('#sk') ? { '#pk': pkName, '#sk': skName } : { '#pk': pkName },
        ScanIndexForward: !page.descending,
        Limit: page.limit,
        ExclusiveStartKey: decodeCursor(page.cursor, { name: pkName, value: pk }),
        ConsistentRead: true,
      }),
    );
    return { items: result.Items ?? [], next: encodeCursor(result.LastEvaluatedKey) };
  }
}

export function versionItem(record: VersionRecord): Item {
  const resource = record.resource ? stringify(record.resource) : undefined;
  const searchValues = JSON.stringify(record.searchValues);
  const size = (resource?.length ?? 0) + searchValues.length;
  if (Buffer.byteLength(resource ?? '') + Buffer.byteLength(searchValues) > maxVersionItemBytes || size > maxVersionItemBytes) {
    throw new PayloadTooLarge(
      `The resource is too large to store (over ${Math.floor(maxVersionItemBytes / 1024)} KB once indexed; DynamoDB items are at most 400 KB). Move large content to a Binary.`,
    );
  }
  return {
    [pkName]: resourceKey(record.resourceType, record.id),
    [skName]: versionSortKey(record.versionId),
    resourceType: record.resourceType,
    id: record.id,
    versionId: record.versionId,
    lastUpdated: record.lastUpdated,
    ...(record.deleted ? { deleted: true } : { resource }),
    searchValues,
    compartments: [...record.compartments],
    identifiers: [...record.identifiers],
  };
}

export function recordOf(item: Item): VersionRecord {
  return {
    resourceType: item.resourceType as string,
    id: item.id as string,
    versionId: item.versionId as number,
    lastUpdated: item.lastUpdated as string,
    deleted: item.deleted === true,
    resource: typeof item.resource === 'string' ? (parse(item.resource) as StoredResource) : undefined,
    searchValues: JSON.parse(item.searchValues as string) as SearchValues,
    compartments: (item.compartments as string[] | undefined) ?? [],
    identifiers: (item.identifiers as string[] | undefined) ?? [],
  };
}

function pointerOf(item: Item): VersionPointer {
  return { reference: item.ref as string, versionId: item.versionId as number, position: positionOf(item), sortKey: item[skName] as string };
}

function positionOf(item: Item): string | undefined {
  return encodeCursor({ [pkName]: item[pkName], [skName]: item[skName] });
}

/** Beyond DynamoDB's limits nothing could commit atomically: the client is told how to send it instead. */
function assertFitsOneTransaction(actions: readonly TransactItem[]): void {
  const bytes = Buffer.byteLength(JSON.stringify(actions));
  if (actions.length <= maxTransactionActions && bytes <= maxTransactionBytes) return;
  throw new PayloadTooLarge(
    `This transaction needs ${actions.length} DynamoDB actions and about ${Math.ceil(bytes / 1024)} KB; one atomic commit takes at most ${maxTransactionActions} actions and ${maxTransactionBytes / 1024 / 1024} MB ` +
      '(docs/bundles.md). Nothing was written. Split it into smaller transactions, send it as a batch (Bundle.type batch: each entry on its own), ' +
      'or load it with `npm run load`, which splits it into transactions that fit.',
  );
}

function splitIdentifier(identifier: string): [string, string] {
  const bar = identifier.indexOf('|');
  return [identifier.slice(0, bar), identifier.slice(bar + 1)];
}

