import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { archiveJournalBatch, archiveObjectOf, type ArchiveObject, type JournalChange } from '../../../lambdas/archive/journal-archive';
import { S3ArchiveStore } from '../../../lambdas/archive/s3-archive-store';

/**
 * The journal archive's domain and its S3 adapter. No S3 emulator is installed here, so the adapter
 * is checked against aws-sdk-client-mock: what it asks S3 for, not what S3 does with it.
 */

/** 2026-03-05T14:07:09Z */
const march5At14h = Date.UTC(2026, 2, 5, 14, 7, 9) / 1000;

function change(sequenceNumber: string, overrides: Partial<JournalChange> = {}): JournalChange {
  return {
    eventId: `event-${sequenceNumber}`,
    eventName: 'INSERT',
    sequenceNumber,
    approximateCreationDateTime: march5At14h,
    keys: { pk: { S: 'Patient/p1' }, sk: { S: `2026-03-05T14:07:09Z#${sequenceNumber}` } },
    newImage: { pk: { S: 'Patient/p1' }, sk: { S: `2026-03-05T14:07:09Z#${sequenceNumber}` }, n: { N: '1' } },
    ...overrides,
  };
}

class RecordingStore {
  readonly objects: ArchiveObject[] = [];
  put(object: ArchiveObject): Promise<void> {
    this.objects.push(object);
    return Promise.resolve();
  }
}

describe('archiveObjectOf', () => {
  it('keys a batch by the UTC hour and the sequence number of its first change', () => {
    const object = archiveObjectOf([change('000100'), change('000200', { approximateCreationDateTime: march5At14h + 3600 })]);
    expect(object?.key).toBe('journal/2026/03/05/14/000100.ndjson');
  });

  it('writes one JSON line per change, in stream order, keeping DynamoDB typed images as delivered', () => {
    const removal = change('000300', { eventName: 'REMOVE', newImage: undefined });
    const lines = archiveObjectOf([change('000100'), change('000200', { eventName: 'MODIFY' }), removal])?.body.split('\n') ?? [];
    expect(lines.at(-1)).toBe(''); // every line ends with a newline
    const parsed = lines.slice(0, -1).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(parsed.map((line) => [line.sequenceNumber, line.eventName])).toEqual([
      ['000100', 'INSERT'],
      ['000200', 'MODIFY'],
      ['000300', 'REMOVE'],
    ]);
    expect(parsed[0]).toEqual({
      eventId: 'event-000100',
      eventName: 'INSERT',
      sequenceNumber: '000100',
      approximateCreationDateTime: '2026-03-05T14:07:09.000Z',
      keys: { pk: { S: 'Patient/p1' }, sk: { S: '2026-03-05T14:07:09Z#000100' } },
      newImage: { pk: { S: 'Patient/p1' }, sk: { S: '2026-03-05T14:07:09Z#000100' }, n: { N: '1' } },
    });
    expect(parsed[2]).not.toHaveProperty('newImage');
  });

  it('gives a retried batch the same key and the same bytes', () => {
    const batch = () => [change('000100'), change('000200')];
    expect(archiveObjectOf(batch())).toEqual(archiveObjectOf(batch()));
  });

  it('has nothing to archive for an empty batch', () => {
    expect(archiveObjectOf([])).toBeUndefined();
  });

  it('refuses a change without a valid creation time rather than file it under an invalid date', () => {
    expect(() => archiveObjectOf([change('000100', { approximateCreationDateTime: Number.NaN })])).toThrow(/event-000100.*creation time/);
  });
});

describe('archiveJournalBatch', () => {
  it('puts one object per batch and none for an empty batch', async () => {
    const store = new RecordingStore();
    await archiveJournalBatch([change('000100'), change('000200')], store);
    await archiveJournalBatch([], store);
    expect(store.objects.map((object) => object.key)).toEqual(['journal/2026/03/05/14/000100.ndjson']);
  });
});

describe('S3ArchiveStore', () => {
  const s3 = mockClient(S3Client);
  afterEach(() => s3.reset());

  it('puts the object with the SHA-256 checksum of its exact bytes, which an Object-Locked bucket requires', async () => {
    s3.on(PutObjectCommand).resolves({});
    const object = archiveObjectOf([change('000100'), change('000200')]);
    if (!object) throw new Error('expected an archive object');
    await new S3ArchiveStore(new S3Client({ region: 'ca-central-1' }), 'archive-bucket').put(object);

    const [call] = s3.commandCalls(PutObjectCommand);
    const input = call?.args[0].input;
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(1);
    expect(input).toMatchObject({ Bucket: 'archive-bucket', Key: object.key, ContentType: 'application/x-ndjson', ChecksumAlgorithm: 'SHA256' });
    const sent = Buffer.from(input?.Body as Uint8Array);
    expect(sent.toString('utf8')).toBe(object.body);
    expect(input?.ChecksumSHA256).toBe(createHash('sha256').update(sent).digest('base64'));
  });

  it('sets no retention or legal hold of its own: the bucket default (COMPLIANCE) applies, and the function holds s3:PutObject only', async () => {
    s3.on(PutObjectCommand).resolves({});
    await new S3ArchiveStore(new S3Client({ region: 'ca-central-1' }), 'archive-bucket').put({ key: 'journal/k.ndjson', body: '{}\n' });
    const input = s3.commandCalls(PutObjectCommand)[0]?.args[0].input;
    expect(input).not.toHaveProperty('ObjectLockMode');
    expect(input).not.toHaveProperty('ObjectLockRetainUntilDate');
    expect(input).not.toHaveProperty('ObjectLockLegalHoldStatus');
  });

  it('lets an S3 failure through, so the batch is retried', async () => {
    s3.on(PutObjectCommand).rejects(new Error('SlowDown'));
    await expect(new S3ArchiveStore(new S3Client({ region: 'ca-central-1' }), 'archive-bucket').put({ key: 'journal/k.ndjson', body: '{}\n' })).rejects.toThrow('SlowDown');
  });
});
