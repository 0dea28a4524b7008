/**
 * Capacity units computed from DynamoDB's published rules, from the items a call writes or reads
 * (docs: "DynamoDB item sizes and formats", "Read/write capacity mode", "Transactions").
 *
 * Why not DynamoDB Local's ReturnConsumedCapacity: for TransactWriteItems, DynamoDB Local 3.3
 * reports 2 × the sum of the *distinct* per-item unit counts on a table (five 100-byte Puts report
 * 2 units, where DynamoDB bills 10; two 1.5 KB Puts report 4 instead of 8). Both systems compared
 * here commit through multi-item transactions, so the side by side computes units itself.
 */

/** An attribute value as it travels on the wire (DynamoDB JSON), the same for SDK v2 and v3. */
export type WireValue = { readonly [type: string]: unknown };
export type WireItem = { readonly [name: string]: WireValue };

const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');

/** Significant digits of a DynamoDB number, leading and trailing zeros trimmed. */
function significantDigits(number: string): number {
  const digits = number.replace(/^[-+]/, '').replace(/[eE].*$/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.max(1, digits.length);
}

const numberBytes = (number: string) => Math.ceil(significantDigits(number) / 2) + 1;

const binaryBytes = (value: unknown) => (typeof value === 'string' ? Buffer.from(value, 'base64').length : (value as Uint8Array).length);

/** Bytes of one value, its attribute name not included. */
export function valueBytes(value: WireValue): number {
  if ('S' in value) return utf8(String(value.S));
  if ('N' in value) return numberBytes(String(value.N));
  if ('B' in value) return binaryBytes(value.B);
  if ('BOOL' in value || 'NULL' in value) return 1;
  if ('SS' in value) return (value.SS as string[]).reduce((sum, text) => sum + utf8(text), 0);
  if ('NS' in value) return (value.NS as string[]).reduce((sum, number) => sum + numberBytes(number), 0);
  if ('BS' in value) return (value.BS as unknown[]).reduce<number>((sum, bytes) => sum + binaryBytes(bytes), 0);
  // A List or Map costs 3 bytes, plus 1 byte per element, plus its elements (a Map's with their names).
  if ('L' in value) return (value.L as WireValue[]).reduce((sum, element) => sum + 1 + valueBytes(element), 3);
  if ('M' in value) return Object.entries(value.M as WireItem).reduce((sum, [name, element]) => sum + 1 + utf8(name) + valueBytes(element), 3);
  throw new Error(`capacity-rules: unknown DynamoDB type ${Object.keys(value).join(',')}`);
}

/** An item's size as DynamoDB counts it for capacity: its attribute names and values. */
export function itemBytes(item: WireItem): number {
  return Object.entries(item).reduce((sum, [name, value]) => sum + utf8(name) + valueBytes(value), 0);
}

/** Standard write: 1 unit per KB or part of one, per item. */
export const writeUnits = (bytes: number) => Math.max(1, Math.ceil(bytes / 1024));

/** Standard read: 1 unit per 4 KB or part (strongly consistent), half of that eventually consistent. */
export const readUnits = (bytes: number, consistent: boolean) => Math.max(1, Math.ceil(bytes / 4096)) * (consistent ? 1 : 0.5);

/** Capacity units, split into reads and writes. */
export interface Units {
  readonly read: number;
  readonly write: number;
}

/** A table's primary key (partition, then sort key names) and its global secondary indexes. */
export interface TableSchema {
  readonly key: readonly [string, string?];
  readonly indexes?: readonly { readonly key: readonly [string, string?]; readonly projection: 'ALL' | 'KEYS_ONLY' }[];
}

/** A sort key value, comparable as DynamoDB orders it (numbers by value, strings by code unit; close enough for the keys here). */
function sortValue(value: WireValue | undefined): number | string {
  if (value && 'N' in value) return Number(value.N);
  return value && 'S' in value ? String(value.S) : '';
}

type KeySchemaElement = { AttributeName?: string; KeyType?: string };

function keyOfSchema(elements: readonly KeySchemaElement[] | undefined): readonly [string, string?] {
  const named = (type: string) => elements?.find((element) => element.KeyType === type)?.AttributeName;
  const partition = named('HASH');
  if (!partition) throw new Error('capacity-rules: a key schema without a partition key');
  return [partition, named('RANGE')];
}

/** The schema of a table from its CreateTable input, so the table is declared once. */
export function tableSchemaOf(input: {
  KeySchema?: readonly KeySchemaElement[];
  GlobalSecondaryIndexes?: readonly { KeySchema?: readonly KeySchemaElement[]; Projection?: { ProjectionType?: string } }[];
}): TableSchema {
  return {
    key: keyOfSchema(input.KeySchema),
    indexes: (input.GlobalSecondaryIndexes ?? []).map((index) => ({
      key: keyOfSchema(index.KeySchema),
      projection: index.Projection?.ProjectionType === 'ALL' ? 'ALL' : 'KEYS_ONLY',
    })),
  };
}

/**
 * What a new item costs in the table's global secondary indexes: an item that carries an index's
 * key attributes writes a copy there (the whole item, or its keys); items without them cost the
 * index nothing. The copy counts as a standard write even within a transaction, the reading of
 * DynamoDB's pricing pages that bench/consumed-capacity.ts also takes (DynamoDB Local doubles it).
 * Only DSC's journal entries carry index keys here; FWoA's Patients and Observations carry no
 * `_subscriptionStatus`.
 */
export function indexWriteUnits(schema: TableSchema, item: WireItem): number {
  let units = 0;
  for (const index of schema.indexes ?? []) {
    const indexKey = index.key.filter((name): name is string => name !== undefined);
    if (!indexKey.every((name) => name in item)) continue;
    const projected = index.projection === 'ALL' ? item : pick(item, [...schema.key, ...indexKey]);
    units += writeUnits(itemBytes(projected));
  }
  return units;
}

function pick(item: WireItem, names: readonly (string | undefined)[]): WireItem {
  return Object.fromEntries(names.flatMap((name) => (name !== undefined && item[name] ? [[name, item[name]]] : [])));
}

/**
 * Sizes of the items already in the table, learnt from the Puts and reads seen: an Update or
 * Delete is billed on the stored item's size, and a projected read on the whole item's, neither
 * of which the call itself shows. An item never seen counts as 1 byte (so 1 unit), counted in `guessed`.
 */
export class KnownItems {
  private readonly sizes = new Map<string, number>();
  private readonly latestInPartition = new Map<string, { sortKey: number | string; bytes: number }>();
  guessed = 0;

  constructor(private readonly schemas: Readonly<Record<string, TableSchema>>) {}

  remember(table: string, item: WireItem): void {
    const bytes = itemBytes(item);
    this.sizes.set(this.keyOf(table, item), bytes);
    const partition = this.partitionOf(table, item);
    const sortKey = sortValue(item[this.names(table)[1] ?? '']);
    const latest = this.latestInPartition.get(partition);
    if (!latest || sortKey >= latest.sortKey) this.latestInPartition.set(partition, { sortKey, bytes });
  }

  sizeOf(table: string, key: WireItem): number {
    return this.orGuess(this.sizes.get(this.keyOf(table, key)));
  }

  /** The item with the highest sort key seen in the partition of `item` (what a newest-first, Limit 1 projected Query reads). */
  sizeOfLatestIn(table: string, item: WireItem): number {
    return this.orGuess(this.latestInPartition.get(this.partitionOf(table, item))?.bytes);
  }

  private orGuess(size: number | undefined): number {
    if (size !== undefined) return size;
    this.guessed++;
    return 1;
  }

  schemaOf(table: string): TableSchema {
    const schema = this.schemas[table];
    if (!schema) throw new Error(`capacity-rules: no key schema known for table ${table}`);
    return schema;
  }

  private names(table: string): readonly [string, string?] {
    return this.schemaOf(table).key;
  }

  private keyOf(table: string, item: WireItem): string {
    return `${table}\u0000${JSON.stringify(this.names(table).map((name) => (name ? item[name] : null)))}`;
  }

  private partitionOf(table: string, item: WireItem): string {
    return `${table}\u0000${JSON.stringify(item[this.names(table)[0]])}`;
  }
}

interface WriteAction {
  readonly TableName: string;
  readonly Item?: WireItem;
  readonly Key?: WireItem;
}

/**
 * The units a write spends: a Put on its new item (plus its index copies), an Update or Delete on
 * the stored item it touches. `factor` is 2 within a transaction (DynamoDB's two-phase commit:
 * prepare, then commit).
 */
function writeActionUnits(kind: string, action: WriteAction, known: KnownItems, factor: 1 | 2): number {
  if (kind === 'Put') {
    const item = action.Item ?? {};
    known.remember(action.TableName, item);
    return factor * writeUnits(itemBytes(item)) + indexWriteUnits(known.schemaOf(action.TableName), item);
  }
  // An Update is billed on the larger of the item before and after; the updates measured here
  // rewrite a few short status fields of items without index keys, so the item before stands for
  // both. A ConditionCheck is billed as a write of the checked item.
  if (kind === 'Update' || kind === 'Delete' || kind === 'ConditionCheck') return factor * writeUnits(known.sizeOf(action.TableName, action.Key ?? {}));
  throw new Error(`capacity-rules: unknown write action ${kind}`);
}

type Params = Record<string, unknown>;
type Response = Record<string, unknown>;

/**
 * The units one DynamoDB call spends, from its request and response in DynamoDB JSON.
 * Scan and PartiQL are not used by either system and are refused rather than guessed.
 */
export function unitsOfCall(operation: string, params: Params, response: Response, known: KnownItems): Units {
  const table = typeof params.TableName === 'string' ? params.TableName : '';
  // A projection does not lower the bill: a projected item is billed at the whole item's size.
  const projected = typeof params.ProjectionExpression === 'string';
  const read = (items: readonly WireItem[], consistent: boolean) => {
    const bytes = items.map((item) => {
      if (projected) return known.sizeOfLatestIn(table, item);
      known.remember(table, item);
      return itemBytes(item);
    });
    return readUnits(bytes.reduce((sum, size) => sum + size, 0), consistent);
  };
  switch (operation) {
    case 'PutItem':
      return { read: 0, write: writeActionUnits('Put', params as unknown as WriteAction, known, 1) };
    case 'UpdateItem':
      return { read: 0, write: writeActionUnits('Update', params as unknown as WriteAction, known, 1) };
    case 'DeleteItem':
      return { read: 0, write: writeActionUnits('Delete', params as unknown as WriteAction, known, 1) };
    case 'GetItem':
      return { read: read(response.Item ? [response.Item as WireItem] : [], params.ConsistentRead === true), write: 0 };
    case 'Query':
      // A Query is billed on the items it reads, summed then rounded, before any filter; neither
      // system filters anything out in the calls measured here, so the returned items are those read.
      return { read: read((response.Items as WireItem[] | undefined) ?? [], params.ConsistentRead === true), write: 0 };
    case 'BatchGetItem': {
      const responses = (response.Responses ?? {}) as Record<string, WireItem[]>;
      const requests = (params.RequestItems ?? {}) as Record<string, { ConsistentRead?: boolean }>;
      let units = 0;
      for (const [name, items] of Object.entries(responses)) {
        for (const item of items) {
          known.remember(name, item);
          units += readUnits(itemBytes(item), requests[name]?.ConsistentRead === true);
        }
      }
      return { read: units, write: 0 };
    }
    case 'TransactWriteItems': {
      const actions = (params.TransactItems as Record<string, WriteAction>[]).map((action) => Object.entries(action)[0] as [string, WriteAction]);
      return { read: 0, write: actions.reduce((sum, [kind, body]) => sum + writeActionUnits(kind, body, known, 2), 0) };
    }
    case 'TransactGetItems': {
      const items = ((response.Responses ?? []) as { Item?: WireItem }[]).flatMap((entry) => (entry.Item ? [entry.Item] : []));
      return { read: items.reduce((sum, item) => sum + 2 * readUnits(itemBytes(item), true), 0), write: 0 };
    }
    default:
      throw new Error(`capacity-rules: ${operation} is not metered`);
  }
}
