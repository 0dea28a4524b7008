import { describe, expect, it } from 'vitest';
import { historyProblems, journalProblems } from '../../scripts/soak/consistency';
import { Ledger } from '../../scripts/soak/ledger';
import { failures, formatReport, summarizeRun } from '../../scripts/soak/report';
import { parseSoakOptions } from '../../scripts/soak';
import { createdIds } from '../../scripts/soak/workload';

const answer = (status: number, requestId?: string) => ({ status, ms: 10, body: undefined, requestId });
const noProblems = { resources: 0, subjectsJournaled: 0, journalEntriesExpected: 0, problems: [] };

describe('the soak ledger', () => {
  it('expects a journal entry for permitted and denied requests on a patient, not for a stale If-Match, bad input or a search', () => {
    const ledger = new Ledger();
    ledger.record('read', answer(200, 'r1'), [200], 'Patient/p1');
    ledger.record('denied', answer(403, 'r2'), [403], 'Patient/p1');
    ledger.record('stale update', answer(412, 'r3'), [200, 412], 'Patient/p1');
    ledger.record('bad input', answer(400, 'r4'), [400], 'Patient/p1');
    ledger.record('search', answer(200, 'r5'), [200]);
    expect([...(ledger.journalExpected.get('Patient/p1') ?? [])]).toEqual([
      ['r1', 'read'],
      ['r2', 'denied'],
    ]);
    expect(ledger.outcomes).toHaveLength(5);
  });

  it('counts acknowledged writes and keeps the highest version seen', () => {
    const ledger = new Ledger();
    const patient = ledger.created('Patient', 'p1');
    ledger.updated(patient, 3);
    ledger.updated(patient, 2);
    expect(patient).toMatchObject({ writes: 3, version: 3 });
  });
});

describe('the soak consistency check', () => {
  const resource = { resourceType: 'Patient', id: 'p1', version: 3, writes: 3 };

  it('accepts a history of versions 1..n with the current version n', () => {
    expect(historyProblems(resource, [3, 1, 2], 3)).toEqual([]);
  });

  it('reports a gap, a duplicate, an extra version and an unreadable resource', () => {
    expect(historyProblems(resource, [1, 3], 3)).toEqual(['Patient/p1 history holds versions [1, 3], expected 1..3']);
    expect(historyProblems(resource, [1, 2, 2, 3], 3)).toHaveLength(1);
    expect(historyProblems(resource, [1, 2, 3, 4], 4)).toEqual([
      'Patient/p1 is at version 4, after 3 acknowledged writes',
      'Patient/p1 history holds versions [1, 2, 3, 4], expected 1..3',
    ]);
    expect(historyProblems(resource, [1, 2, 3], undefined)).toEqual(['Patient/p1 is not readable']);
  });

  it('reports requests missing from a subject\'s journal, and ignores entries the soak did not make', () => {
    const expected = new Map([
      ['a', 'read Patient'],
      ['b', 'Patient $everything'],
    ]);
    expect(journalProblems('Patient/p1', expected, new Set(['a', 'b', 'demo-loader']))).toEqual([]);
    expect(journalProblems('Patient/p1', expected, new Set(['a']))).toEqual(['Patient/p1: no journal entry for Patient $everything (request b)']);
  });
});

describe('the soak report', () => {
  const outcomes = [
    { operation: 'read Patient', status: 200, ms: 10, unexpected: false },
    { operation: 'read Patient', status: 200, ms: 30, unexpected: false },
    { operation: 'update Patient (If-Match)', status: 412, ms: 20, unexpected: false },
    { operation: 'bad input (POST /Patient)', status: 400, ms: 5, unexpected: false },
  ];

  it('counts requests by status class, with rate and latency percentiles', () => {
    const summary = summarizeRun(outcomes, 0, 2);
    expect(summary).toMatchObject({ requests: 4, perSecond: 2, byClass: { '2xx': 2, '3xx': 0, '4xx': 2, '5xx': 0 } });
    expect(summary.latency).toMatchObject({ p50: 10, max: 30 });
    expect(summary.byOperation.find((entry) => entry.operation === 'read Patient')?.statuses).toEqual({ 200: 2 });
    expect(failures(summary, noProblems)).toEqual([]);
  });

  it('fails the run on any 5xx, unexpected status, lost connection or inconsistency', () => {
    const summary = summarizeRun([...outcomes, { operation: 'read Patient', status: 503, ms: 1, unexpected: true }], 1, 2);
    expect(failures(summary, { ...noProblems, problems: ['Patient/p1 is not readable'] })).toEqual([
      '1 answers were 5xx',
      '1 answers had a status their operation does not allow',
      '1 requests got no HTTP answer',
      '1 consistency problems',
    ]);
  });

  it('states memory growth from the gateway RSS at start and end', () => {
    const text = formatReport(summarizeRun(outcomes, 0, 2), { startMb: 200, endMb: 210, peakMb: 215 }, noProblems, 8);
    expect(text).toContain('gateway RSS 200 MB at start, 210 MB at end (+10 MB, 5%), peak 215 MB');
    expect(text).toContain('5xx 0 (0%)');
  });
});

describe('soak options', () => {
  it('defaults to 8 at once for 2 minutes, unbounded in requests', () => {
    expect(parseSoakOptions([])).toEqual({ concurrency: 8, minutes: 2, maxRequests: Number.POSITIVE_INFINITY, useRunning: false });
  });

  it('refuses an unbounded or nonsensical run', () => {
    expect(() => parseSoakOptions(['--minutes', '0'])).toThrow(/--minutes 0 is out of range/);
    expect(() => parseSoakOptions(['--minutes', '600'])).toThrow(/out of range/);
    expect(() => parseSoakOptions(['--concurrency', '1.5'])).toThrow(/out of range/);
    expect(() => parseSoakOptions(['--forever'])).toThrow();
  });
});

describe('a transaction-response', () => {
  it('gives the created ids in entry order from each location', () => {
    const body = { entry: [{ response: { location: 'Patient/a1/_history/1' } }, { response: { location: 'Observation/b2/_history/1' } }] };
    expect(createdIds({ status: 200, ms: 1, body })).toEqual(['a1', 'b2']);
  });
});
