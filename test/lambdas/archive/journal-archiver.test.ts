import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { journalArchiveBucketEnvVar } from '../../../lambdas/contracts/functions';

/** The journal archiver handler: audit table stream records in, one PutObject out (S3 mocked: no emulator here). */

const s3 = mockClient(S3Client);
let handler: (event: DynamoDBStreamEvent) => Promise<void>;

beforeAll(async () => {
  process.env[journalArchiveBucketEnvVar] = 'journal-archive-bucket';
  process.env.AWS_REGION ??= 'ca-central-1';
  ({ handler } = await import('../../../lambdas/handlers/journal-archiver'));
});
afterEach(() => s3.reset());

function streamRecord(sequenceNumber: string, eventName: DynamoDBRecord['eventName'] = 'INSERT'): DynamoDBRecord {
  const keys = { pk: { S: 'Patient/p1' }, sk: { S: `2026-03-05T14:07:09Z#${sequenceNumber}` } };
  return {
    eventID: `id-${sequenceNumber}`,
    eventName,
    eventSource: 'aws:dynamodb',
    dynamodb: { SequenceNumber: sequenceNumber, ApproximateCreationDateTime: Date.UTC(2026, 2, 5, 14, 7, 9) / 1000, Keys: keys, NewImage: eventName === 'REMOVE' ? undefined : keys, StreamViewType: 'NEW_IMAGE' },
  };
}

describe('journal archiver handler', () => {
  it('archives a batch as one object in the bucket it was given, one line per stream record', async () => {
    s3.on(PutObjectCommand).resolves({});
    await handler({ Records: [streamRecord('111'), streamRecord('112', 'MODIFY'), streamRecord('113', 'REMOVE')] });
    const calls = s3.commandCalls(PutObjectCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]?.args[0].input;
    expect(input?.Bucket).toBe('journal-archive-bucket');
    expect(input?.Key).toBe('journal/2026/03/05/14/111.ndjson');
    const lines = Buffer.from(input?.Body as Uint8Array).toString('utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as { eventId: string; eventName: string });
    expect(lines.map((line) => `${line.eventId} ${line.eventName}`)).toEqual(['id-111 INSERT', 'id-112 MODIFY', 'id-113 REMOVE']);
  });

  it('fails the invocation when S3 refuses, so Lambda retries the batch under the same key', async () => {
    s3.on(PutObjectCommand).rejectsOnce(new Error('ServiceUnavailable')).resolves({});
    const event = { Records: [streamRecord('200')] };
    await expect(handler(event)).rejects.toThrow('ServiceUnavailable');
    await handler(event);
    const keys = s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input.Key);
    expect(keys).toEqual(['journal/2026/03/05/14/200.ndjson', 'journal/2026/03/05/14/200.ndjson']);
  });

  it('refuses a stream record without its sequence number rather than archive it unkeyed', async () => {
    const record = streamRecord('300');
    delete record.dynamodb?.SequenceNumber;
    await expect(handler({ Records: [record] })).rejects.toThrow(/id-300/);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });
});
