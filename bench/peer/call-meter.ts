import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { KnownItems, unitsOfCall, type WireItem } from './capacity-rules';

/** What the calls since the last reset spent. */
export interface CallReading {
  /** Units computed from DynamoDB's rules (capacity-rules.ts): what DynamoDB would bill. */
  readonly rcu: number;
  readonly wcu: number;
  /** Units DynamoDB Local reported (ReturnConsumedCapacity: TOTAL), for comparison. */
  readonly reportedRcu: number;
  readonly reportedWcu: number;
  readonly requests: number;
  /** Requests per operation (`Query`, `TransactWriteItems`…). */
  readonly byOperation: Readonly<Record<string, number>>;
}

type Consumed = { CapacityUnits?: number };

const writeOperations = /^(PutItem|UpdateItem|DeleteItem|TransactWriteItems|BatchWriteItem)$/;

/**
 * Counts the DynamoDB calls of one client and what they cost, two ways: computed from the items
 * each call writes or reads, and as DynamoDB Local reports it. It sets ReturnConsumedCapacity on
 * every call (as bench/consumed-capacity.ts does), which changes only the size of the answer.
 */
export class CallMeter {
  private reading = CallMeter.empty();

  constructor(readonly known: KnownItems) {}

  private static empty() {
    return { rcu: 0, wcu: 0, reportedRcu: 0, reportedWcu: 0, requests: 0, byOperation: {} as Record<string, number> };
  }

  reset(): void {
    this.reading = CallMeter.empty();
  }

  snapshot(): CallReading {
    return { ...this.reading, byOperation: { ...this.reading.byOperation } };
  }

  /** One call: its request and response in DynamoDB JSON (a failed call passes no response and costs nothing here). */
  record(operation: string, params: Record<string, unknown>, response: Record<string, unknown> | undefined): void {
    const reading = this.reading;
    reading.requests++;
    reading.byOperation[operation] = (reading.byOperation[operation] ?? 0) + 1;
    if (!response) return;
    const units = unitsOfCall(operation, params, response, this.known);
    reading.rcu += units.read;
    reading.wcu += units.write;
    const reported = [(response.ConsumedCapacity as Consumed | Consumed[] | undefined) ?? []].flat().reduce((sum, entry) => sum + (entry.CapacityUnits ?? 0), 0);
    if (writeOperations.test(operation)) reading.reportedWcu += reported;
    else reading.reportedRcu += reported;
  }
}

/** The slice of an aws-sdk v2 request the meter uses (FWoA's client). */
interface SdkV2Request {
  readonly operation: string;
  readonly params: Record<string, unknown>;
  on(event: 'complete', listener: (response: { data?: Record<string, unknown> | null; error?: unknown }) => void): unknown;
}

/** The slice of an aws-sdk v2 service the meter uses: `customizeRequests` is public in its JS API but absent from its typings. */
export interface SdkV2Service {
  customizeRequests(callback: (request: SdkV2Request) => void): void;
}

/** Meters an aws-sdk v2 `AWS.DynamoDB` (low-level: params and data are DynamoDB JSON already). */
export function meterSdkV2(service: SdkV2Service, meter: CallMeter): void {
  service.customizeRequests((request) => {
    request.params.ReturnConsumedCapacity = 'TOTAL';
    const operation = request.operation.charAt(0).toUpperCase() + request.operation.slice(1);
    request.on('complete', (response) => {
      meter.record(operation, request.params, response.error ? undefined : (response.data ?? {}));
    });
  });
}

const itemKeys = ['Item', 'Items', 'Responses'] as const;

/**
 * The items of a v3 output back in DynamoDB JSON: a DocumentClient unmarshalls them before any
 * middleware of the client's stack sees the output, while its input is marshalled by then.
 */
function wireOutput(output: Record<string, unknown>): Record<string, unknown> {
  const toWire = (item: Record<string, unknown>) => marshall(item, { removeUndefinedValues: true, convertClassInstanceToMap: true }) as unknown as WireItem;
  const wire: Record<string, unknown> = { ...output };
  for (const key of itemKeys) {
    const value = output[key];
    if (!value) continue;
    if (key === 'Item') wire.Item = toWire(value as Record<string, unknown>);
    else if (key === 'Items') wire.Items = (value as Record<string, unknown>[]).map(toWire);
    else if (Array.isArray(value)) wire.Responses = (value as { Item?: Record<string, unknown> }[]).map((entry) => (entry.Item ? { Item: toWire(entry.Item) } : entry));
    else wire.Responses = Object.fromEntries(Object.entries(value as Record<string, Record<string, unknown>[]>).map(([table, items]) => [table, items.map(toWire)]));
  }
  return wire;
}

/** Meters an SDK v3 DynamoDBClient used through a DynamoDBDocumentClient (DSC's handlers). */
export function meterSdkV3(client: DynamoDBClient, meter: CallMeter): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      (args.input as Record<string, unknown>).ReturnConsumedCapacity = 'TOTAL';
      return next(args);
    },
    { step: 'initialize', name: 'askConsumedCapacity' },
  );
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Record<string, unknown>;
      const operation = (context.commandName ?? 'Unknown').replace(/Command$/, '');
      try {
        const result = await next(args);
        meter.record(operation, input, wireOutput(result.output as unknown as Record<string, unknown>));
        return result;
      } catch (error) {
        meter.record(operation, input, undefined);
        throw error;
      }
    },
    // The build step runs after the DocumentClient has marshalled the input for the wire.
    { step: 'build', name: 'meterCallsByRules' },
  );
}
