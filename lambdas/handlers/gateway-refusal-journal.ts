import type { CloudWatchLogsDecodedData, CloudWatchLogsEvent } from 'aws-lambda';
import { gunzipSync } from 'node:zlib';
import { DynamoDbAccessJournal } from '../audit/dynamodb-access-journal';
import { accessLogRecordOf, gatewayRefusalEntry } from '../audit/gateway-refusal';
import { auditTable } from '../contracts/tables';
import { documentClient } from '../platform/dynamodb';
import { requiredEnv } from '../platform/environment';
import { logger } from '../platform/logger';

const journal = new DynamoDbAccessJournal(documentClient(), requiredEnv(auditTable.nameEnvVar));

/**
 * API access log (subscription filter: the gateway's authentication and authorization refusals)
 * → one journal entry per refusal. A failed append fails the invocation: Lambda retries the
 * batch, then sends it to the dead-letter queue. Entries are keyed by a fresh id, so a retried
 * batch may journal a refusal twice, never lose it.
 */
export async function handler(event: CloudWatchLogsEvent): Promise<void> {
  const batch = JSON.parse(gunzipSync(Buffer.from(event.awslogs.data, 'base64')).toString('utf8')) as CloudWatchLogsDecodedData;
  // CloudWatch Logs sends a control message when the subscription is created, to check the destination.
  if (batch.messageType !== 'DATA_MESSAGE') return;
  const entries = batch.logEvents.flatMap((logEvent) => {
    const record = accessLogRecordOf(logEvent.message);
    const entry = record && gatewayRefusalEntry(record, new Date(logEvent.timestamp));
    return entry ? [entry] : [];
  });
  await Promise.all(entries.map((entry) => journal.append(entry.event, entry.patient)));
  // Counts only: the lines hold paths, which can name a patient.
  logger.info('gateway refusals journaled', { lines: batch.logEvents.length, journaled: entries.length });
}
