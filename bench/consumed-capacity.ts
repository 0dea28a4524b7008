import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

export interface CapacityMeter {
  readonly read: number;
  readonly write: number;
  reset(): void;
}

const writeCommands = /^(PutItem|UpdateItem|DeleteItem|TransactWriteItems|BatchWriteItem)Command$/;

/**
 * Adds ReturnConsumedCapacity to every DynamoDB call of a client and sums the capacity units
 * DynamoDB (Local) reports, split into reads and writes by the command that spent them, so the
 * bench can state what each API operation costs.
 */
export function meterCapacity(client: DynamoDBClient): CapacityMeter {
  let read = 0;
  let write = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      (args.input as Record<string, unknown>).ReturnConsumedCapacity = 'TOTAL';
      const result = await next(args);
      const consumed = (result.output as { ConsumedCapacity?: { CapacityUnits?: number } | { CapacityUnits?: number }[] }).ConsumedCapacity;
      const units = [consumed ?? []].flat().reduce((sum, entry) => sum + (entry.CapacityUnits ?? 0), 0);
      if (writeCommands.test(context.commandName ?? '')) write += units;
      else read += units;
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
    reset() {
      read = 0;
      write = 0;
    },
  };
}
