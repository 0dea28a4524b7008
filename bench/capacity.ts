import { randomUUID } from 'node:crypto';
import { queryText } from '../lambdas/handlers/responses';
import type { VersionRecord } from '../lambdas/store/record-store';
import { tableNames, tables as tableDefinitions, type TableDefinition } from '../lambdas/contracts/tables';
import { billedWriteUnits, metered, type BilledIndex, type CapacityReading } from './consumed-capacity';
import type { MeteredServices } from './in-process';
import { benchPatient, observation, patient, patientId } from './synthea';

export interface InteractionCost {
  readonly interaction: string;
  /** The HTTP request it stands for. */
  readonly request: string;
  readonly rcu: number;
  readonly wcu: number;
  /** The WCU DynamoDB bills for the same writes, from their item sizes (DynamoDB Local under-reports large transactions). */
  readonly billedWcu: number;
  readonly recordWcu: number;
  /** The access journal's part of the WCU (audit table). */
  readonly auditWcu: number;
  readonly requests: number;
  readonly byCommand: Record<string, number>;
  /** Resources returned, for searches. */
  readonly results?: number;
}

function cost(interaction: string, request: string, spent: CapacityReading, billedWcu: number, tables: MeteredServices['tables'], results?: number): InteractionCost {
  return {
    interaction,
    request,
    rcu: spent.read,
    wcu: spent.write,
    billedWcu,
    recordWcu: spent.byTable[tables.record]?.write ?? 0,
    auditWcu: spent.byTable[tables.audit]?.write ?? 0,
    requests: spent.requests,
    byCommand: { ...spent.byCommand },
    ...(results === undefined ? {} : { results }),
  };
}

/** The global indexes of the bench's tables, from their definitions (lambdas/contracts/tables.ts). */
function billedIndexes(names: MeteredServices['tables']): Record<string, BilledIndex[]> {
  return Object.fromEntries(
    tableNames.map((name) => {
      const definition: TableDefinition = tableDefinitions[name];
      const { partitionKey, sortKey } = definition;
      const indexes = definition.globalIndexes ?? [];
      return [names[name], indexes.map((index) => ({ partitionKey: index.partitionKey.name, keys: [...new Set([partitionKey.name, sortKey.name, index.partitionKey.name, index.sortKey.name])] }))];
    }),
  );
}

/** A transaction Bundle of 10 entries: a new Patient and 9 Observations that refer to it by its `urn:uuid`. */
function transactionBundle(mrn: string) {
  const fullUrl = `urn:uuid:${randomUUID()}`;
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      { fullUrl, resource: benchPatient(mrn), request: { method: 'POST', url: 'Patient' } },
      ...Array.from({ length: 9 }, (_, i) => ({ resource: { ...observation(i), subject: { reference: fullUrl } }, request: { method: 'POST', url: 'Observation' } })),
    ],
  };
}

/**
 * What each interaction spends, measured in-process on a metered client (see in-process.ts):
 * capacity units per table and DynamoDB requests. Run once the first scale is seeded and
 * indexed, so the searches run on a patient with a full record (100 Observations, 10 Encounters).
 * `indexed` waits for the stack's index processor, so the in-process re-index of a version
 * (to measure the processor's cost) never races it.
 */
export async function capacityFigures(m: MeteredServices, indexed: () => Promise<void>): Promise<InteractionCost[]> {
  const { meter, services, ctx, tables } = m;
  const { writer, reader, search } = services;
  const costs: InteractionCost[] = [];
  const mrn = `BENCH-${Date.now().toString(36)}`;
  const record = async <T>(interaction: string, request: string, action: () => Promise<T>, results?: (value: T) => number): Promise<T> => {
    let measured: { result: T; spent: CapacityReading } | undefined;
    const calls = await m.recorder.take(async () => (measured = await metered(meter, action)));
    if (!measured) throw new Error(`bench: ${interaction} did not run`);
    costs.push(cost(interaction, request, measured.spent, billedWriteUnits(calls, billedIndexes(tables)), tables, results?.(measured.result)));
    return measured.result;
  };
  const searchOf = (type: 'Patient' | 'Observation', params: [string, string][]) => () => search.search(ctx, type, params, { lenient: false, query: queryText(params) });

  const created = await record('create', 'POST /Patient', () => writer.create(ctx, 'Patient', () => benchPatient(mrn)));
  const id = created.version.id;
  await record('read', 'GET /Patient/{id}', () => reader.read(ctx, 'Patient', id));
  await record('vread', 'GET /Patient/{id}/_history/1', () => reader.vread(ctx, 'Patient', id, 1));
  await record('update', 'PUT /Patient/{id}', () =>
    writer.update(ctx, 'Patient', id, () => ({ ...benchPatient(mrn), id, telecom: [{ system: 'phone', value: '514-555-0142', use: 'mobile' }] })),
  );
  await record('patch', 'PATCH /Patient/{id}', () => writer.patch(ctx, 'Patient', id, () => [{ op: 'replace', path: '/telecom/0/value', value: '514-555-0143' }]));
  await record('search by identifier', `GET /Patient?identifier=urn:dsc:bench:mrn|{mrn}`, searchOf('Patient', [['identifier', `urn:dsc:bench:mrn|${mrn}`]]), (result) => result.matches.length);
  await record('delete', 'DELETE /Patient/{id}', () => writer.delete(ctx, 'Patient', id));

  const subject = patientId(0);
  const observationCreated = await record('create (Observation)', 'POST /Observation', () => writer.create(ctx, 'Observation', () => ({ ...observation(0), subject: { reference: `Patient/${subject}` } })));
  await record(
    'search by patient and date',
    `GET /Observation?patient=Patient/{id}&date=ge2020-01-01`,
    searchOf('Observation', [['patient', `Patient/${subject}`], ['date', 'ge2020-01-01']]),
    (result) => result.matches.length,
  );
  await record(
    '$everything page',
    'GET /Patient/{id}/$everything?_count=50',
    () => search.everything(ctx, subject, [['_count', '50']], { lenient: false, query: '_count=50' }),
    (result) => result.matches.length,
  );

  await record('transaction (10 entries)', 'POST / (transaction: a Patient and 9 Observations)', () => m.services.bundles.process(ctx, transactionBundle(`${mrn}-tx`)));

  // The index processor's work for a new version, which the create's caller does not wait for.
  // Re-indexing an indexed version rewrites the same items, at the cost of writing them first.
  const indexProbe = await writer.create(ctx, 'Patient', () => ({ ...patient(0), identifier: [{ system: 'urn:dsc:bench:mrn', value: `${mrn}-index` }] }));
  await indexed();
  for (const [interaction, version] of [
    ['index processor, new Patient', indexProbe.version],
    ['index processor, new Observation', observationCreated.version],
  ] as [string, VersionRecord][]) {
    await record(interaction, '(stream, asynchronous)', () => m.indexer.indexVersion(version));
  }
  return costs;
}
