import { DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand, type _Record } from '@aws-sdk/client-dynamodb-streams';
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';

export interface StreamPollerOptions {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: { accessKeyId: string; secretAccessKey: string };
  readonly tableName: string;
  /** Delivers one batch as Lambda's DynamoDB event source would; a rejected batch is retried. */
  readonly deliver: (event: DynamoDBStreamEvent) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>;
  readonly onError: (message: string) => void;
  readonly intervalMs?: number;
}

/**
 * The local stand-in for Lambda's DynamoDB event source: reads the record table's stream on
 * DynamoDB Local from the start and hands each batch to the same handler that is deployed,
 * retrying from the first failed record, in order per shard.
 */
export class StreamPoller {
  private readonly streams: DynamoDBStreamsClient;
  private readonly iterators = new Map<string, string | undefined>();
  private stopped = false;
  private loop?: Promise<void>;
  private idleWaiters: (() => void)[] = [];
  private busy = false;
  private paused = false;
  private pauseWaiters: (() => void)[] = [];
  private streamArn?: string;

  constructor(
    private readonly dynamoDb: DynamoDBClient,
    private readonly options: StreamPollerOptions,
  ) {
    this.streams = new DynamoDBStreamsClient({ endpoint: options.endpoint, region: options.region, credentials: options.credentials, maxAttempts: 1 });
  }

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  /** Resolves once a full pass found nothing new: everything written so far is indexed (for tests and the bench). */
  drained(): Promise<void> {
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Runs `writes` with delivery paused, then moves every shard past the records written so far,
   * which are never delivered: for a writer that writes the index items itself (the bench's seed
   * of 100,000 resources, which the processor would take many minutes to index one by one).
   * Records not yet delivered when it is called are skipped too: call it once `drained()`.
   */
  async skipping<T>(writes: () => Promise<T>): Promise<T> {
    this.paused = true;
    await new Promise<void>((resolve) => this.pauseWaiters.push(resolve));
    try {
      return await writes();
    } finally {
      try {
        if (this.streamArn) await this.refreshShards(this.streamArn, 'LATEST');
      } finally {
        this.paused = false;
      }
    }
  }

  private async run(): Promise<void> {
    const table = await this.dynamoDb.send(new DescribeTableCommand({ TableName: this.options.tableName }));
    const streamArn = table.Table?.LatestStreamArn;
    if (!streamArn) throw new Error(`${this.options.tableName} has no stream`);
    this.streamArn = streamArn;
    let pass = 0;
    while (!this.stopped) {
      if (this.paused) {
        for (const resolve of this.pauseWaiters.splice(0)) resolve();
        await new Promise((resolve) => setTimeout(resolve, this.options.intervalMs ?? 100));
        continue;
      }
      let delivered = 0;
      try {
        if (pass++ % 20 === 0) await this.refreshShards(streamArn);
        for (const shardId of this.iterators.keys()) delivered += await this.pollShard(streamArn, shardId);
      } catch (error) {
        this.options.onError(`stream poller: ${(error as Error).name}: ${(error as Error).message}`);
      }
      if (delivered === 0 && !this.busy) {
        for (const resolve of this.idleWaiters.splice(0)) resolve();
        await new Promise((resolve) => setTimeout(resolve, this.options.intervalMs ?? 100));
      }
    }
  }

  /** Adds the shards not yet followed, read from their start; with LATEST, moves every shard to its end instead. */
  private async refreshShards(streamArn: string, from: 'TRIM_HORIZON' | 'LATEST' = 'TRIM_HORIZON'): Promise<void> {
    const description = await this.streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    for (const shard of description.StreamDescription?.Shards ?? []) {
      if (!shard.ShardId || (from === 'TRIM_HORIZON' && this.iterators.has(shard.ShardId))) continue;
      const iterator = await this.streams.send(new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shard.ShardId, ShardIteratorType: from }));
      this.iterators.set(shard.ShardId, iterator.ShardIterator);
    }
  }

  private async pollShard(streamArn: string, shardId: string): Promise<number> {
    const iterator = this.iterators.get(shardId);
    if (!iterator) return 0;
    const page = await this.streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 100 }));
    const records = page.Records ?? [];
    if (records.length > 0) {
      this.busy = true;
      try {
        const response = await this.options.deliver({ Records: records.map((record) => toLambdaRecord(record, streamArn)) });
        const failed = response.batchItemFailures[0]?.itemIdentifier;
        if (failed) {
          // Retry from the failed record, as Lambda does with ReportBatchItemFailures.
          const retry = await this.streams.send(new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shardId, ShardIteratorType: 'AT_SEQUENCE_NUMBER', SequenceNumber: failed }));
          this.iterators.set(shardId, retry.ShardIterator);
          return records.length;
        }
      } finally {
        this.busy = false;
      }
    }
    this.iterators.set(shardId, page.NextShardIterator);
    return records.length;
  }
}

function toLambdaRecord(record: _Record, streamArn: string): DynamoDBStreamEvent['Records'][number] {
  return {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion,
    eventSource: 'aws:dynamodb',
    awsRegion: record.awsRegion,
    eventSourceARN: streamArn,
    dynamodb: {
      Keys: record.dynamodb?.Keys as never,
      NewImage: record.dynamodb?.NewImage as never,
      SequenceNumber: record.dynamodb?.SequenceNumber,
      SizeBytes: record.dynamodb?.SizeBytes,
      StreamViewType: record.dynamodb?.StreamViewType as 'NEW_IMAGE',
    },
  };
}
