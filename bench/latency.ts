import { BatchGetItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { StackInfo } from '../local/stack';
import type { Api } from './api';
import { summarize, type Summary } from './stats';

export const latencyOperations = ['read', 'create', 'search', '$everything'] as const;
export type LatencyOperation = (typeof latencyOperations)[number];

/** One operation as the bench sends it: its HTTP request, and the same request made in-process on the recorded client. */
export interface OperationSpec {
  readonly operation: LatencyOperation;
  readonly example: string;
  readonly http: (api: Api, sample: number) => Promise<unknown>;
  readonly inProcess: () => Promise<unknown>;
}

export interface LatencyCell {
  readonly operation: LatencyOperation;
  readonly concurrency: number;
  readonly latency: Summary;
  readonly perSecond: number;
}

export interface RawFigure {
  readonly operation: LatencyOperation;
  /** The DynamoDB requests the operation sends, in order (`Query`, `PutItem`…). */
  readonly calls: readonly string[];
  /** All of them replayed back to back with the SDK, per sample. */
  readonly sequence: Summary;
  /** The slowest single call's p50: the "one raw call" the budget compares with. */
  readonly slowestCall: { readonly command: string; readonly latency: Summary };
  /** The operation through the gateway, one request between two replays, so both meet the same machine load. */
  readonly gateway: Summary;
}

/** A DynamoDB request as the SDK sent it (attribute values marshalled). */
interface RecordedCall {
  readonly command: string;
  readonly input: Record<string, unknown>;
}

const commands = { Query: QueryCommand, GetItem: GetItemCommand, BatchGetItem: BatchGetItemCommand, PutItem: PutItemCommand, TransactWriteItems: TransactWriteItemsCommand } as const;
const writes = new Set(['PutItem', 'TransactWriteItems']);
const uuid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/** Records the requests a client sends, marshalled, so they can be replayed raw. */
export function recordCalls(client: DynamoDBClient): { take<T>(action: () => Promise<T>): Promise<RecordedCall[]> } {
  let recording: RecordedCall[] | undefined;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      recording?.push({ command: (context.commandName ?? '').replace(/Command$/, ''), input: structuredClone(args.input as Record<string, unknown>) });
      return next(args);
    },
    { step: 'build', name: 'benchRecordCalls' },
  );
  return {
    async take(action) {
      recording = [];
      try {
        await action();
        return recording;
      } finally {
        recording = undefined;
      }
    },
  };
}

/**
 * A replay of a recorded call. Reads are sent as recorded; writes get fresh UUIDs in place of
 * every UUID they carry (the new resource's id, the journal entry's), so their conditions
 * (`attribute_not_exists`) hold again and each replay writes new items, as the original did.
 */
function replayOf(call: RecordedCall) {
  const Command = commands[call.command as keyof typeof commands] as (new (input: never) => Parameters<DynamoDBClient['send']>[0]) | undefined;
  if (!Command) throw new Error(`bench: cannot replay a ${call.command}`);
  const text = JSON.stringify(call.input);
  return () => {
    if (!writes.has(call.command)) return new Command(JSON.parse(text) as never);
    const fresh = new Map<string, string>();
    return new Command(JSON.parse(text.replace(uuid, (found) => fresh.get(found) ?? fresh.set(found, randomUUID()).get(found) ?? found)) as never);
  };
}

/** `samples` requests from `concurrency` clients; requests/s is samples over the wall time. */
async function cell(spec: OperationSpec, api: Api, concurrency: number, samples: number): Promise<LatencyCell> {
  const times: number[] = [];
  let next = 0;
  const begin = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let sample = next++; sample < samples; sample = next++) {
        const started = performance.now();
        await spec.http(api, sample);
        times.push(performance.now() - started);
      }
    }),
  );
  return { operation: spec.operation, concurrency, latency: summarize(times), perSecond: samples / ((performance.now() - begin) / 1000) };
}

/** Through the local gateway: each operation at each concurrency, after 20 unmeasured requests. */
export async function latencyMatrix(api: Api, specs: readonly OperationSpec[], concurrencies: readonly number[], samples: number, progress: (line: string) => void): Promise<LatencyCell[]> {
  const cells: LatencyCell[] = [];
  for (const spec of specs) {
    for (let sample = 0; sample < 20; sample++) await spec.http(api, sample);
    for (const concurrency of concurrencies) {
      const figure = await cell(spec, api, concurrency, samples);
      progress(`latency: ${spec.operation} ×${concurrency}: p50 ${figure.latency.p50.toFixed(1)} ms, p99 ${figure.latency.p99.toFixed(1)} ms, ${Math.round(figure.perSecond)} requests/s`);
      cells.push(figure);
    }
  }
  return cells;
}

/**
 * The same DynamoDB requests without us: each operation is made once in-process on a recording
 * client, then its requests are replayed with the bare SDK client, back to back, `samples` times
 * (after 20 unmeasured rounds), timing the whole sequence and each call. Each replay alternates
 * with one request of the operation through the gateway, so that on a shared, noisy machine both
 * figures of the ratio are taken under the same load.
 */
export async function rawFigures(info: StackInfo, api: Api, recorder: ReturnType<typeof recordCalls>, specs: readonly OperationSpec[], samples: number): Promise<RawFigure[]> {
  const client = new DynamoDBClient({ endpoint: info.dynamoDb.endpoint, region: info.cognito.region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
  const figures: RawFigure[] = [];
  for (const spec of specs) {
    const calls = await recorder.take(spec.inProcess);
    const replays = calls.map(replayOf);
    const sequence: number[] = [];
    const gateway: number[] = [];
    const perCall = calls.map(() => [] as number[]);
    for (let sample = -20; sample < samples; sample++) {
      const begin = performance.now();
      for (const [i, replay] of replays.entries()) {
        const started = performance.now();
        await client.send(replay());
        if (sample >= 0) perCall[i]?.push(performance.now() - started);
      }
      if (sample >= 0) sequence.push(performance.now() - begin);
      const sent = performance.now();
      await spec.http(api, Math.max(0, sample));
      if (sample >= 0) gateway.push(performance.now() - sent);
    }
    const slowest = perCall.map((times, i) => ({ command: calls[i]?.command ?? '?', latency: summarize(times) })).sort((a, b) => b.latency.p50 - a.latency.p50)[0];
    if (!slowest) throw new Error(`bench: ${spec.operation} sent no DynamoDB request`);
    figures.push({ operation: spec.operation, calls: calls.map((call) => call.command), sequence: summarize(sequence), slowestCall: slowest, gateway: summarize(gateway) });
  }
  client.destroy();
  return figures;
}
