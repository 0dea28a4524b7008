import { pkName, skName, versionOfSortKey, versionPrefix } from '../../lambdas/store/keys';
import { markers, transactionSize, type WriteLedger } from './write-load';

type Item = Record<string, unknown>;

export interface CheckRow {
  readonly check: string;
  readonly checked: number;
  readonly failed: readonly string[];
}

interface Version {
  readonly versionId: number;
  readonly deleted: boolean;
  readonly identifiers: readonly string[];
  readonly compartments: readonly string[];
}

/** The record table as versions per resource (`Type/id`), ascending, and everything else by kind. */
export function readTable(items: readonly Item[]) {
  const versions = new Map<string, Version[]>();
  const indexes: Item[] = [];
  for (const item of items) {
    const sk = String(item[skName]);
    if (sk.startsWith(versionPrefix) && typeof item.resourceType === 'string') {
      const reference = `${item.resourceType}/${String(item.id)}`;
      const list = versions.get(reference) ?? [];
      list.push({
        versionId: versionOfSortKey(sk),
        deleted: item.deleted === true,
        identifiers: (item.identifiers as string[] | undefined) ?? [],
        compartments: (item.compartments as string[] | undefined) ?? [],
      });
      versions.set(reference, list);
    } else {
      indexes.push(item);
    }
  }
  for (const list of versions.values()) list.sort((a, b) => a.versionId - b.versionId);
  return { versions, indexes };
}

type Table = ReturnType<typeof readTable>;
const current = (table: Table, reference: string) => table.versions.get(reference)?.at(-1);

/** Every write acknowledged before the kill is there, at its version. */
export function acknowledgedWritesPresent(table: Table, ledger: WriteLedger): CheckRow {
  const failed = ledger.acknowledged
    .filter((write) => !table.versions.get(write.reference)?.some((version) => version.versionId === write.versionId))
    .map((write) => `${write.reference} version ${write.versionId} was acknowledged${write.inFlight ? ' (answer read after the kill was sent)' : ''} and is gone`);
  return { check: 'acknowledged writes present', checked: ledger.acknowledged.length, failed };
}

/** Each resource's versions are 1..n, none missing. */
export function versionsContiguous(table: Table): CheckRow {
  const failed = [...table.versions]
    .filter(([, list]) => list.some((version, i) => version.versionId !== i + 1))
    .map(([reference, list]) => `${reference} has versions [${list.map((version) => version.versionId).join(', ')}]`);
  return { check: 'versions contiguous (1..n)', checked: table.versions.size, failed };
}

/** Each transaction sent left all its entries or none: counted by the marker its entries share. */
export function transactionsAtomic(table: Table, ledger: WriteLedger): CheckRow {
  const found = new Map<string, number>();
  for (const list of table.versions.values()) {
    const marker = list[0]?.identifiers.find((identifier) => identifier.startsWith(`${markers.transaction}|`));
    if (marker) found.set(marker.slice(markers.transaction.length + 1), (found.get(marker.slice(markers.transaction.length + 1)) ?? 0) + 1);
  }
  const failed: string[] = [];
  for (const [marker, acknowledged] of ledger.transactions) {
    const count = found.get(marker) ?? 0;
    if (count !== 0 && count !== transactionSize) failed.push(`transaction ${marker} left ${count} of ${transactionSize} entries`);
    else if (acknowledged && count === 0) failed.push(`transaction ${marker} was acknowledged and is gone`);
  }
  return { check: `transactions all-or-nothing (${transactionSize} entries each)`, checked: ledger.transactions.size, failed };
}

/**
 * Every item the write transaction adds beside a version points at the resource's current version:
 * `ident#` and `cmp#` items carry its versionId and the current version still has that identifier or
 * compartment; a guard's or idempotency key's holder exists.
 */
export function noOrphanIndexEntries(table: Table): CheckRow {
  const failed: string[] = [];
  let checked = 0;
  for (const item of table.indexes) {
    const pk = String(item[pkName]);
    const sk = String(item[skName]);
    if (pk.startsWith('ident#') || pk.startsWith('cmp#')) {
      checked += 1;
      const head = current(table, sk);
      const wanted = pk.startsWith('ident#') ? pk.slice(pk.indexOf('#', 'ident#'.length) + 1) : pk.slice('cmp#'.length);
      const listed = pk.startsWith('ident#') ? head?.identifiers : head?.compartments;
      const wrong = !head
        ? 'which does not exist'
        : head.deleted
          ? 'which is deleted'
          : head.versionId !== item.versionId
            ? `whose current version is v${head.versionId}`
            : listed?.includes(wanted)
              ? undefined
              : `whose current version does not list ${wanted}`;
      if (wrong) failed.push(`${pk} points at ${sk} v${String(item.versionId)}, ${wrong}`);
    } else if (pk.startsWith('guard#') || pk.startsWith('idem#')) {
      checked += 1;
      if (!table.versions.has(String(item.holder))) failed.push(`${pk} is held by ${String(item.holder)}, which does not exist`);
    }
  }
  return { check: 'no orphan ident#/cmp#/guard#/idem# item', checked, failed };
}

export function formatTable(rows: readonly CheckRow[]): string {
  const width = Math.max(...rows.map((row) => row.check.length));
  return [
    `  ${'check'.padEnd(width)}  checked  failed`,
    ...rows.flatMap((row) => [
      `  ${row.check.padEnd(width)}  ${String(row.checked).padStart(7)}  ${String(row.failed.length).padStart(6)}`,
      ...row.failed.slice(0, 5).map((failure) => `      - ${failure}`),
    ]),
  ].join('\n');
}
