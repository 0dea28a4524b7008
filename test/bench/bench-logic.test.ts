import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { billedWriteUnits, itemSize } from '../../bench/consumed-capacity';
import { parseOptions } from '../../bench/options';
import { evaluate } from '../../bench/report';

/** The bench's own arithmetic: what it bills, which budgets it calls met, which flags it takes. */

describe('itemSize', () => {
  it('counts attribute names and UTF-8 string bytes', () => {
    expect(itemSize(marshall({ pk: 'Patient#1', sk: 'é' }))).toBe(2 + 9 + 2 + 2);
  });

  it('counts a map as 3 bytes plus a byte per element, its names and its values', () => {
    expect(itemSize(marshall({ m: { a: 'xy' } }))).toBe(1 + 3 + 1 + 1 + 2);
  });
});

describe('billedWriteUnits', () => {
  const item = (bytes: number) => marshall({ pk: 'x'.repeat(bytes - 2) });

  it('bills a put 1 unit per started KB', () => {
    expect(billedWriteUnits([{ command: 'PutItem', input: { Item: item(1024) } }])).toBe(1);
    expect(billedWriteUnits([{ command: 'PutItem', input: { Item: item(1025) } }])).toBe(2);
  });

  it('bills each put of a transaction twice', () => {
    const TransactItems = [{ Put: { Item: item(100) } }, { Put: { Item: item(2000) } }];
    expect(billedWriteUnits([{ command: 'TransactWriteItems', input: { TransactItems } }])).toBe(2 * 1 + 2 * 2);
  });

  it('bills nothing for reads', () => {
    expect(billedWriteUnits([{ command: 'Query', input: {} }])).toBe(0);
  });
});

describe('evaluate', () => {
  it('meets a ceiling at or below its limit and a floor at or above it', () => {
    const [ceiling, floor, missedFloor] = evaluate([
      { name: 'p50', measured: 10, limit: 10 },
      { name: 'rate', measured: 250, limit: 200, floor: true },
      { name: 'rate', measured: 150, limit: 200, floor: true },
    ]);
    expect([ceiling?.met, floor?.met, missedFloor?.met]).toEqual([true, true, false]);
    expect(floor?.ratio).toBe(1.25);
  });

  it('never meets a budget whose figure is missing', () => {
    expect(evaluate([{ name: 'x', measured: Number.NaN, limit: 1 }])[0]?.met).toBe(false);
  });
});

describe('parseOptions', () => {
  it('takes --name=value and --name value alike', () => {
    const options = parseOptions(['--scale=1000,10000,100000', '--concurrency', '1,4', '--skip=peer,cost']);
    expect(options).toMatchObject({ scale: [1000, 10000, 100000], concurrency: [1, 4], skip: ['peer', 'cost'] });
  });

  it('refuses a scale that is not ascending, an unknown section and an unknown flag', () => {
    expect(() => parseOptions(['--scale=10000,1000'])).toThrow(/ascending/);
    expect(() => parseOptions(['--skip=everything'])).toThrow(/--skip knows/);
    expect(() => parseOptions(['--sample=3'])).toThrow(/unknown/);
  });
});

describe('billedWriteUnits with a global index', () => {
  const index = { partitionKey: 'agent', keys: ['pk', 'sk', 'agent'] };

  it('adds a standard write for the keys an index copies, only for items that carry its key', () => {
    const withAgent = marshall({ pk: 'a', sk: 'b', agent: 'c', body: 'x'.repeat(1500) });
    const without = marshall({ pk: 'a', sk: 'b', body: 'x'.repeat(1500) });
    expect(billedWriteUnits([{ command: 'PutItem', input: { TableName: 'audit', Item: withAgent } }], { audit: [index] })).toBe(2 + 1);
    expect(billedWriteUnits([{ command: 'PutItem', input: { TableName: 'audit', Item: without } }], { audit: [index] })).toBe(2);
  });
});
