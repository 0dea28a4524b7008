import { BatchGetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { auditAgentIndex, auditTable } from '../contracts/tables';
import type { JournalPage, JournalQuery, JournalReader } from '../journal/journal-query';
import { MAX_INSTANT, MIN_INSTANT } from '../search/dates';
import { decodeCursor, encodeCursor } from '../store/cursor';
import type { AccessJournal } from './access-journal';
import { auditEventOfItem, journalItem, journalPutCondition } from './access-journal';
import type { AuditEvent } from './audit-event';

const pk = auditTable.partitionKey.name;
const sk = auditTable.sortKey.name;
const agentKey = auditAgentIndex.partitionKey.name;
/** BatchGetItem's limit per call. */
const batchSize = 100;

export class DynamoDbAccessJournal implements AccessJournal, JournalReader {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async append(event: AuditEvent, patient: string): Promise<void> {
    await this.client.send(
      new PutCommand({ TableName: this.tableName, Item: journalItem(event, patient), ConditionExpression: journalPutCondition }),
    );
  }

  /**
   * One page, newest first. By subject: a Query on the table (filtered by agent when both are
   * given). By agent alone: a Query on the keys-only agent index, then the entries by key.
   */
  async page(query: JournalQuery): Promise<JournalPage> {
    const partition = query.subject !== undefined ? { name: pk, value: query.subject } : { name: agentKey, value: query.agent ?? '' };
    const bySubject = partition.name === pk;
    // sk is `<recorded>#<id>`: every entry of the last instant sorts below `<instant>~`.
    const names: Record<string, string> = { '#p': partition.name, '#s': sk };
    const values: Record<string, string> = { ':p': partition.value, ':from': query.from ?? MIN_INSTANT, ':to': `${query.to ?? MAX_INSTANT}~` };
    const filtered = bySubject && query.agent !== undefined;
    if (filtered) {
      names['#a'] = agentKey;
      values[':a'] = query.agent ?? '';
    }
    const result = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        ...(bySubject ? {} : { IndexName: auditAgentIndex.name }),
        KeyConditionExpression: '#p = :p AND #s BETWEEN :from AND :to',
        ...(filtered ? { FilterExpression: '#a = :a' } : {}),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ScanIndexForward: false,
        Limit: query.count,
        ExclusiveStartKey: decodeCursor(query.cursor, partition),
      }),
    );
    const found = result.Items ?? [];
    const items = bySubject ? found : await this.entriesByKey(found);
    return { events: items.map(auditEventOfItem), ...(result.LastEvaluatedKey ? { cursor: encodeCursor(result.LastEvaluatedKey) } : {}) };
  }

  /** The entries the keys-only index points to, in the index's order. */
  private async entriesByKey(keys: readonly Record<string, unknown>[]): Promise<Record<string, unknown>[]> {
    const idOf = (item: Record<string, unknown>) => `${String(item[pk])}\n${String(item[sk])}`;
    const byId = new Map<string, Record<string, unknown>>();
    for (let start = 0; start < keys.length; start += batchSize) {
      let pending: Record<string, unknown>[] = keys.slice(start, start + batchSize).map((key) => ({ [pk]: key[pk], [sk]: key[sk] }));
      for (let attempt = 0; pending.length > 0; attempt++) {
        // Unprocessed keys come back under load, without an error: retry them after a growing pause.
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 2 ** attempt * 25));
        const result = await this.client.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: pending } } }));
        for (const item of result.Responses?.[this.tableName] ?? []) byId.set(idOf(item), item);
        pending = result.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
      }
    }
    return keys.map((key) => byId.get(idOf(key))).filter((item) => item !== undefined);
  }
}
