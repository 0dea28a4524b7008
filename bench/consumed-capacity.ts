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

type AttributeValue = { S?: string; N?: string; B?: Uint8Array; BOOL?: boolean; NULL?: boolean; L?: AttributeValue[]; M?: Record<string, AttributeValue>; SS?: string[]; NS?: string[] };

const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');

/** A value's size as DynamoDB counts it (documented rules: UTF-8 strings, about 1 byte per 2 digits of a number, 3 bytes plus 1 per element of a list or map). */
function valueSize(value: AttributeValue): number {
  if (value.S !== undefined) return utf8(value.S);
  if (value.N !== undefined) return Math.ceil(value.N.replace(/^-|\.|e.*$/gi, '').length / 2) + 1;
  if (value.B !== undefined) return value.B.length;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS) return value.SS.reduce((sum, text) => sum + utf8(text), 0);
  if (value.NS) return value.NS.reduce((sum, text) => sum + Math.ceil(text.length / 2) + 1, 0);
  if (value.L) return 3 + value.L.reduce((sum, element) => sum + 1 + valueSize(element), 0);
  if (value.M) return 3 + Object.entries(value.M).reduce((sum, [name, element]) => sum + 1 + utf8(name) + valueSize(element), 0);
  return 0;
}

/** An item's size: its attribute names and values. */
export function itemSize(item: Record<string, AttributeValue>): number {
  return Object.entries(item).reduce((sum, [name, value]) => sum + utf8(name) + valueSize(value), 0);
}

/** A table's global indexes as far as billing goes: the attributes a KEYS_ONLY index copies. */
export interface BilledIndex {
  /** Attributes copied: the table's keys and the index's; the item is indexed only if it has the index's partition key. */
  readonly keys: readonly string[];
  readonly partitionKey: string;
}

/**
 * The write units DynamoDB bills for the recorded (marshalled) write requests: 1 per started KB of
 * each item put, twice that inside a transaction, plus 1 per started KB of the copy each global
 * index keeps (counted as a standard write, our reading of the pricing pages). DynamoDB Local
 * under-reports large transactions (12 WCU for the 21 record-table puts of a 10-entry transaction),
 * so the bench computes this beside what it reports.
 */
export function billedWriteUnits(calls: readonly { command: string; input: Record<string, unknown> }[], indexes: Readonly<Record<string, readonly BilledIndex[]>> = {}): number {
  const put = (table: string, item: Record<string, AttributeValue>, factor: number) => {
    const copies = (indexes[table] ?? []).filter((index) => item[index.partitionKey] !== undefined);
    const copyUnits = copies.reduce((sum, index) => sum + Math.ceil(itemSize(Object.fromEntries(index.keys.flatMap((key) => (item[key] ? [[key, item[key]]] : [])))) / 1024), 0);
    return factor * Math.ceil(itemSize(item) / 1024) + copyUnits;
  };
  let units = 0;
  for (const { command, input } of calls) {
    if (command === 'PutItem') units += put(input.TableName as string, input.Item as Record<string, AttributeValue>, 1);
    if (command === 'TransactWriteItems') {
      for (const action of input.TransactItems as { Put?: { TableName: string; Item: Record<string, AttributeValue> } }[]) if (action.Put) units += put(action.Put.TableName, action.Put.Item, 2);
    }
  }
  return units;
}
