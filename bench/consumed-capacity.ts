import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** Capacity units and requests spent since the last reset, in total and per table. */
export interface CapacityReading {
  readonly read: number;
  readonly write: number;
  /** DynamoDB requests sent (a TransactWriteItems or a BatchGetItem is one request), failed ones included. */
  readonly requests: number;
  readonly byTable: Readonly<Record<string, { readonly read: number; readonly write: number }>>;
  /** Requests per command name (`Query`, `TransactWriteItems`…). */
  readonly byCommand: Readonly<Record<string, number>>;
}

export interface CapacityMeter {
  readonly read: number;
  readonly write: number;
  readonly requests: number;
  snapshot(): CapacityReading;
  reset(): void;
}

const writeCommands = /^(PutItem|UpdateItem|DeleteItem|TransactWriteItems|BatchWriteItem)Command$/;

type Consumed = { TableName?: string; CapacityUnits?: number };

/**
 * Adds ReturnConsumedCapacity to every DynamoDB call of a client and sums the capacity units
 * DynamoDB (Local) reports, split into reads and writes by the command that spent them and by
 * table (a transaction spanning the record and audit tables reports one entry per table), and
 * counts the requests, so the bench can state what each interaction costs.
 *
 * It sees only the calls made through this client, in this thread: the local stack runs each
 * Lambda handler in its own worker thread with its own client, so the bench meters the domain
 * services in-process (through the composition root) with a metered client instead.
 * A call that fails (a failed condition) reports no capacity here, although DynamoDB bills it.
 */
export function meterCapacity(client: DynamoDBClient): CapacityMeter {
  let read = 0;
  let write = 0;
  let requests = 0;
  let byTable: Record<string, { read: number; write: number }> = {};
  let byCommand: Record<string, number> = {};
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = (context.commandName ?? 'Unknown').replace(/Command$/, '');
      requests++;
      byCommand[command] = (byCommand[command] ?? 0) + 1;
      (args.input as Record<string, unknown>).ReturnConsumedCapacity = 'TOTAL';
      const result = await next(args);
      const consumed = (result.output as { ConsumedCapacity?: Consumed | Consumed[] }).ConsumedCapacity;
      const isWrite = writeCommands.test(context.commandName ?? '');
      for (const entry of [consumed ?? []].flat()) {
        const units = entry.CapacityUnits ?? 0;
        const table = (byTable[entry.TableName ?? '?'] ??= { read: 0, write: 0 });
        if (isWrite) {
          write += units;
          table.write += units;
        } else {
          read += units;
          table.read += units;
        }
      }
      return result;
    },
    { step: 'initialize', name: 'meterConsumedCapacity' },
  );
  return {
    get read() {
      return read;
    },
    get write() {
      return write;
    },
    get requests() {
      return requests;
    },
    snapshot() {
      return { read, write, requests, byTable: structuredClone(byTable), byCommand: { ...byCommand } };
    },
    reset() {
      read = 0;
      write = 0;
      requests = 0;
      byTable = {};
      byCommand = {};
    },
  };
}

/** Runs `action` alone on the metered client and returns what it spent. */
export async function metered<T>(meter: CapacityMeter, action: () => Promise<T>): Promise<{ result: T; spent: CapacityReading }> {
  meter.reset();
  const result = await action();
  return { result, spent: meter.snapshot() };
}
