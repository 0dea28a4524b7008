import { describe, expect, it } from 'vitest';
import { compartmentKey, guardKey, guardSortKey, identifierKey, pkName, resourceKey, skName, versionSortKey } from '../../lambdas/store/keys';
import { acknowledgedWritesPresent, noOrphanIndexEntries, readTable, transactionsAtomic, versionsContiguous } from '../../scripts/crash/checks';
import { emptyLedger, markers, transactionSize } from '../../scripts/crash/write-load';

const version = (type: string, id: string, versionId: number, extra: { identifiers?: string[]; compartments?: string[]; deleted?: boolean } = {}) => ({
  [pkName]: resourceKey(type, id),
  [skName]: versionSortKey(versionId),
  resourceType: type,
  id,
  versionId,
  identifiers: extra.identifiers ?? [],
  compartments: extra.compartments ?? [],
  ...(extra.deleted ? { deleted: true } : {}),
});

/** The items one committed transaction of the crash load leaves: a Patient and its Observations, all marked. */
function transactionItems(marker: string, count = transactionSize) {
  const identifiers = [`${markers.transaction}|${marker}`];
  return Array.from({ length: count }, (_, i) => (i === 0 ? version('Patient', `${marker}-p`, 1, { identifiers }) : version('Observation', `${marker}-o${i}`, 1, { identifiers })));
}

describe('the crash check', () => {
  it('finds every acknowledged version, and names the one that is gone', () => {
    const table = readTable([version('Patient', 'a', 1), version('Patient', 'a', 2)]);
    const ledger = emptyLedger();
    ledger.acknowledged.push({ reference: 'Patient/a', versionId: 2, inFlight: false }, { reference: 'Patient/a', versionId: 3, inFlight: false }, { reference: 'Patient/b', versionId: 1, inFlight: true });
    expect(acknowledgedWritesPresent(table, ledger).failed).toEqual([
      'Patient/a version 3 was acknowledged and is gone',
      'Patient/b version 1 was acknowledged (answer read after the kill was sent) and is gone',
    ]);
  });

  it('accepts versions 1..n and reports a gap', () => {
    expect(versionsContiguous(readTable([version('Patient', 'a', 2), version('Patient', 'a', 1)])).failed).toEqual([]);
    expect(versionsContiguous(readTable([version('Patient', 'a', 1), version('Patient', 'a', 3)])).failed).toEqual(['Patient/a has versions [1, 3]']);
  });

  it('accepts a transaction that left all its entries or none, and reports a partial one or a lost acknowledged one', () => {
    const ledger = emptyLedger();
    ledger.transactions.set('whole', true).set('never-committed', false).set('partial', false).set('lost', true);
    const table = readTable([...transactionItems('whole'), ...transactionItems('partial', 2)]);
    expect(transactionsAtomic(table, ledger).failed).toEqual([`transaction partial left 2 of ${transactionSize} entries`, 'transaction lost was acknowledged and is gone']);
  });

  it('accepts index items that point at the current version, and reports orphans', () => {
    const identifier = 'urn:x|1';
    const items = [
      version('Patient', 'a', 1, { identifiers: [identifier] }),
      version('Patient', 'a', 2, { identifiers: [identifier] }),
      version('Observation', 'o', 1, { compartments: ['Patient/a'] }),
      { [pkName]: identifierKey('Patient', 'urn:x', '1'), [skName]: 'Patient/a', versionId: 2 },
      { [pkName]: compartmentKey('Patient/a'), [skName]: 'Observation/o', versionId: 1 },
      { [pkName]: guardKey('Patient', 'identifier=urn:x|1'), [skName]: guardSortKey, holder: 'Patient/a' },
    ];
    expect(noOrphanIndexEntries(readTable(items))).toMatchObject({ checked: 3, failed: [] });

    const orphans = [
      { [pkName]: identifierKey('Patient', 'urn:x', '1'), [skName]: 'Patient/gone', versionId: 1 },
      { [pkName]: identifierKey('Patient', 'urn:x', '2'), [skName]: 'Patient/a', versionId: 2 },
      { [pkName]: compartmentKey('Patient/a'), [skName]: 'Observation/o', versionId: 2 },
      { [pkName]: guardKey('Patient', 'identifier=urn:x|9'), [skName]: guardSortKey, holder: 'Patient/gone' },
    ];
    const { failed } = noOrphanIndexEntries(readTable([...items.slice(0, 3), ...orphans]));
    expect(failed).toEqual([
      'ident#Patient#urn:x|1 points at Patient/gone v1, which does not exist',
      'ident#Patient#urn:x|2 points at Patient/a v2, whose current version does not list urn:x|2',
      'cmp#Patient/a points at Observation/o v2, whose current version is v1',
      expect.stringMatching(/^guard#Patient#.+ is held by Patient\/gone, which does not exist$/),
    ]);
  });
});
