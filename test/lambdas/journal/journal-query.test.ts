import { describe, expect, it } from 'vitest';
import { journalSearchOf, patientJournalOf } from '../../../lambdas/journal/journal-query';

describe('journal search parameters', () => {
  it('keys a search by patient, entity or agent, with inclusive instant bounds from date prefixes at the precision given (gt a second starts at the next one)', () => {
    expect(journalSearchOf([['patient', 'p1'], ['date', 'ge2026-03'], ['date', 'lt2026-04-01']])).toEqual({ subject: 'Patient/p1', from: '2026-03-01T00:00:00.000Z', to: '2026-03-31T23:59:59.999Z', count: 50 });
    expect(journalSearchOf([['entity', 'urn:dsc:staff:abc'], ['_count', '5']])).toEqual({ subject: 'urn:dsc:staff:abc', count: 5 });
    expect(journalSearchOf([['agent', 'urn:dsc:cognito:sub|s-1'], ['date', 'gt2026-03-01T10:00:00-04:00']])).toEqual({ agent: 's-1', from: '2026-03-01T14:00:01.000Z', count: 50 });
    expect(patientJournalOf('p1', [['date', '2026-03-02']])).toEqual({ subject: 'Patient/p1', from: '2026-03-02T00:00:00.000Z', to: '2026-03-02T23:59:59.999Z', count: 50 });
  });

  it('refuses what would read the whole journal, and parameters it does not support', () => {
    expect(() => journalSearchOf([])).toThrow(/by patient/);
    expect(() => journalSearchOf([['date', 'ge2026']])).toThrow(/by patient/);
    expect(() => journalSearchOf([['patient', 'a'], ['type', 'rest']])).toThrow(/does not support the parameter type/);
    expect(() => journalSearchOf([['patient', 'a'], ['patient', 'b']])).toThrow(/one patient/);
    expect(() => journalSearchOf([['patient', 'Observation/1']])).toThrow(/Patient/);
    expect(() => journalSearchOf([['patient', 'a'], ['date', 'sa2026']])).toThrow(/prefixes/);
    expect(() => journalSearchOf([['patient', 'a'], ['date', '2026-02-30']])).toThrow(/not a FHIR date/);
    expect(() => journalSearchOf([['patient', 'a'], ['_count', '201']])).toThrow(/_count/);
  });
});
