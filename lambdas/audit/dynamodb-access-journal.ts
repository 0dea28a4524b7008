import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AccessJournal } from './access-journal';
import { journalItem, journalPutCondition } from './access-journal';
import type { AuditEvent } from './audit-event';

export class DynamoDbAccessJournal implements AccessJournal {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async append(event: AuditEvent, patient: string): Promise<void> {
    await this.client.send(
      new PutCommand({ TableName: this.tableName, Item: journalItem(event, patient), ConditionExpression: journalPutCondition }),
    );
  }
}
