import { describe, expect, it } from 'vitest';
import { peerMarkdown, ratio, type InteractionFigures, type PeerFigures } from '../../bench/peer/report';
import { fwoaTableInput } from '../../bench/peer/fwoa';
import { indexWriteUnits, itemBytes, KnownItems, readUnits, tableSchemaOf, unitsOfCall, writeUnits, type WireItem } from '../../bench/peer/capacity-rules';

const text = (bytes: number) => ({ S: 'x'.repeat(bytes) });
const table = 'resource-db-dev';
const fwoaSchemas = { [table]: tableSchemaOf(fwoaTableInput()) };
/** An FWoA item of exactly `bytes` bytes: `id` (2 + 1) + `vid` (3 + 2) + `v` (1 + padding). */
const fwoaItem = (id: string, vid: number, bytes: number): WireItem => ({ id: { S: id }, vid: { N: String(vid) }, v: text(bytes - 2 - id.length - 5 - 1) });

describe('item sizes, by DynamoDB’s published rules', () => {
  it('counts attribute names and UTF-8 bytes of strings', () => {
    expect(itemBytes({ pk: { S: 'abc' } })).toBe(5);
    expect(itemBytes({ é: { S: 'é' } })).toBe(4);
  });

  it('counts numbers as 1 byte per two significant digits plus 1, leading and trailing zeros trimmed', () => {
    expect(itemBytes({ n: { N: '00123.4500' } })).toBe(1 + 3 + 1);
    expect(itemBytes({ n: { N: '7' } })).toBe(1 + 1 + 1);
  });

  it('counts binary by its raw bytes, not its base64 text', () => {
    expect(itemBytes({ b: { B: 'AAEC' } })).toBe(1 + 3);
  });

  it('counts 3 bytes per List or Map plus 1 byte per element, and 1 byte for a Boolean or null', () => {
    expect(itemBytes({ m: { M: { a: { S: 'xy' } } } })).toBe(1 + 3 + (1 + 1 + 2));
    expect(itemBytes({ l: { L: [{ S: 'x' }, { N: '1' }] } })).toBe(1 + 3 + (1 + 1) + (1 + 2));
    expect(itemBytes({ t: { BOOL: true }, z: { NULL: true } })).toBe(4);
  });

  it('counts the elements of a set', () => {
    expect(itemBytes({ s: { SS: ['ab', 'c'] } })).toBe(1 + 3);
  });
});

describe('capacity units', () => {
  it('bills writes per KB or part of one, reads per 4 KB, eventually consistent reads at half', () => {
    expect([writeUnits(0), writeUnits(1024), writeUnits(1025)]).toEqual([1, 1, 2]);
    expect([readUnits(4096, true), readUnits(4097, true), readUnits(1, false)]).toEqual([1, 2, 0.5]);
  });

  it('bills each item of a transaction at twice its standard units, where DynamoDB Local reports 2 for five small Puts', () => {
    const known = new KnownItems(fwoaSchemas);
    const puts = Array.from({ length: 5 }, (_, i) => ({ Put: { TableName: table, Item: fwoaItem(`p${i}`, 1, 100) } }));
    expect(unitsOfCall('TransactWriteItems', { TransactItems: puts }, {}, known)).toEqual({ read: 0, write: 10 });
  });

  it('bills an Update or Delete on the size of the stored item it touches, learnt from the Put that wrote it', () => {
    const known = new KnownItems(fwoaSchemas);
    unitsOfCall('PutItem', { TableName: table, Item: fwoaItem('a', 1, 1500) }, {}, known);
    const update = { Update: { TableName: table, Key: { id: { S: 'a' }, vid: { N: '1' } }, UpdateExpression: 'set documentStatus = :s' } };
    expect(unitsOfCall('TransactWriteItems', { TransactItems: [update] }, {}, known).write).toBe(4);
    expect(known.guessed).toBe(0);
    expect(unitsOfCall('DeleteItem', { TableName: table, Key: { id: { S: 'never-seen' }, vid: { N: '1' } } }, {}, known).write).toBe(1);
    expect(known.guessed).toBe(1);
  });

  it('sums the items a Query reads before rounding, and bills a projected Query on the newest whole item', () => {
    const known = new KnownItems(fwoaSchemas);
    const newestFirst = [fwoaItem('q', 2, 5000), fwoaItem('q', 1, 3000)];
    expect(unitsOfCall('Query', { TableName: table }, { Items: newestFirst }, known).read).toBe(1);
    expect(unitsOfCall('Query', { TableName: table, ConsistentRead: true }, { Items: [] }, known).read).toBe(1);
    expect(unitsOfCall('Query', { TableName: table, ProjectionExpression: 'id, meta' }, { Items: [{ id: { S: 'q' } }] }, known).read).toBe(1);
    unitsOfCall('PutItem', { TableName: table, Item: fwoaItem('q', 3, 100) }, {}, known);
    expect(unitsOfCall('Query', { TableName: table, ProjectionExpression: 'id, meta' }, { Items: [{ id: { S: 'q' } }] }, known).read).toBe(0.5);
    expect(known.guessed).toBe(0);
  });

  it('rounds each item of a BatchGetItem on its own', () => {
    const known = new KnownItems(fwoaSchemas);
    const response = { Responses: { [table]: [fwoaItem('b', 1, 100), fwoaItem('c', 1, 100)] } };
    expect(unitsOfCall('BatchGetItem', { RequestItems: { [table]: { ConsistentRead: true } } }, response, known).read).toBe(2);
  });

  it('adds an index copy only for items carrying the index keys, the keys alone for a KEYS_ONLY index', () => {
    const schema = { key: ['pk', 'sk'] as const, indexes: [{ key: ['agent', 'sk'] as const, projection: 'KEYS_ONLY' as const }] };
    expect(indexWriteUnits(schema, { pk: { S: 'p' }, sk: { S: 's' }, body: text(5000) })).toBe(0);
    expect(indexWriteUnits(schema, { pk: { S: 'p' }, sk: { S: 's' }, agent: { S: 'a' }, body: text(5000) })).toBe(1);
    expect(unitsOfCall('PutItem', { TableName: table, Item: { ...fwoaItem('s', 1, 500), _subscriptionStatus: { S: 'active' } } }, {}, new KnownItems(fwoaSchemas)).write).toBe(2);
  });

  it('refuses an operation it has no rule for rather than guess', () => {
    expect(() => unitsOfCall('Scan', { TableName: table }, {}, new KnownItems(fwoaSchemas))).toThrow(/not metered/);
  });
});

describe('FWoA’s table', () => {
  it('has the key and index its deployment declares', () => {
    expect(tableSchemaOf(fwoaTableInput())).toEqual({ key: ['id', 'vid'], indexes: [{ key: ['_subscriptionStatus', 'id'], projection: 'ALL' }] });
  });
});

describe('the side by side table', () => {
  const figures = (interaction: InteractionFigures['interaction'], p50: number, wcu: number, byOperation: Record<string, number>): InteractionFigures => ({
    interaction,
    resourceType: 'Patient',
    p50,
    p95: p50 * 2,
    rcu: 0.5,
    wcu,
    reportedRcu: 0.5,
    reportedWcu: wcu - 1,
    requests: Object.values(byOperation).reduce((sum, count) => sum + count, 0),
    byOperation,
  });
  const peer: PeerFigures = {
    samples: 10,
    fwoa: { system: 'FWoA', guessedSizes: 0, interactions: [figures('update', 20, 8, { Query: 2, TransactWriteItems: 3 })] },
    dsc: { system: 'DSC', guessedSizes: 0, interactions: [figures('update', 10, 12, { Query: 1, TransactWriteItems: 1 })] },
  };

  it('prints DSC / FWoA ratios, and a dash where FWoA spent nothing', () => {
    expect(ratio(12, 8)).toBe('1.50×');
    expect(ratio(1, 0)).toBe('–');
    expect(peerMarkdown(peer)).toContain('| update Patient | 20 / 10 | 0.50× | 40 / 20 | 8 / 12 | 1.50× | 0.5 / 0.5 | 1.00× | 2 Query + 3 TransactWriteItems / 1 Query + 1 TransactWriteItems |');
  });

  it('states what each side includes and what DynamoDB Local reported', () => {
    const markdown = peerMarkdown(peer);
    expect(markdown).toContain('access-journal');
    expect(markdown).toContain('Elasticsearch');
    expect(markdown).toContain('FWoA update Patient 7; DSC update Patient 11');
  });
});
