import { Invalid } from '../fhir/errors';

/**
 * Paging cursors: DynamoDB's LastEvaluatedKey, base64url-encoded, opaque to clients. A cursor
 * is only accepted for the partition it was issued for, so a forged cursor cannot open another
 * patient's compartment or another index partition.
 */
export type DynamoKey = Record<string, unknown>;

export function encodeCursor(key: DynamoKey | undefined): string | undefined {
  return key ? Buffer.from(JSON.stringify(key)).toString('base64url') : undefined;
}

export function decodeCursor(cursor: string | undefined, partition: { name: string; value: string }): DynamoKey | undefined {
  if (cursor === undefined) return undefined;
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new Invalid('The paging cursor is not valid');
  }
  const valid =
    typeof key === 'object' && key !== null && !Array.isArray(key) &&
    (key as DynamoKey)[partition.name] === partition.value &&
    Object.values(key as DynamoKey).every((value) => typeof value === 'string');
  if (!valid) throw new Invalid('The paging cursor does not belong to this query');
  return key as DynamoKey;
}
