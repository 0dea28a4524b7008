import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { performance } from 'node:perf_hooks';
import { Children } from '../local/children';
import { endpointOf, localCredentials, startDynamoDbLocal } from '../local/dynamodb';
import { freePort } from '../local/ports';
import type { CallReading } from './peer/call-meter';
import { peerMarkdown, type Interaction, type InteractionFigures, type PeerFigures } from './peer/report';
import { fwoaPackage, fwoaPersistence } from './peer/fwoa';
import { oursPersistence } from './peer/ours';
import type { PersistenceUnderTest, Resource } from './peer/persistence-under-test';
import { present, round, summarize } from './stats';
import { benchPatient, observation } from './synthea';

/**
 * Side by side with FHIR Works on AWS (issue 10, item 5): its persistence layer
 * (fhir-works-on-aws-persistence-ddb 3.12.0, DynamoDbDataService) and DSC's domain services run
 * in this process against the same DynamoDB Local, create, read and update the same resources,
 * and are measured the same way: client-side latency of each call, and the DynamoDB requests
 * and capacity units each interaction spends, computed from DynamoDB's rules (bench/peer/
 * capacity-rules.ts explains why not from DynamoDB Local's report). Method: docs/performance.md.
 *
 * `npx tsx bench/peer-fwoa.ts [--samples=N]` runs it alone, on its own DynamoDB Local.
 */

export interface PeerOptions {
  readonly endpoint: string;
  readonly region: string;
  readonly samples: number;
  readonly progress?: (line: string) => void;
}

export { peerMarkdown, ratio, type InteractionFigures, type PeerFigures, type SystemFigures } from './peer/report';

const warmUp = 20;

/** The resources both systems write: the bench's Patient, and a vital-sign Observation about it. */
function resourcesFor(run: string, patientReference: string): { create: Resource; update: (id: string) => Resource }[] {
  const patient = benchPatient(`PEER-${run}`);
  const vitals = { ...observation(0), subject: { reference: patientReference } };
  delete (vitals as { encounter?: unknown }).encounter; // its Encounter exists in neither table here
  return [
    { create: patient, update: (id) => ({ ...patient, id, telecom: [{ system: 'phone', value: '514-555-0142', use: 'mobile' }] }) },
    { create: vitals, update: (id) => ({ ...vitals, id, status: 'amended' }) },
  ];
}

type CallFigures = Omit<InteractionFigures, 'interaction' | 'resourceType'>;

function figuresOf(times: readonly number[], readings: readonly CallReading[]): CallFigures {
  const { p50, p95 } = summarize(times);
  const mean = (pick: (reading: CallReading) => number) => round(readings.reduce((sum, reading) => sum + pick(reading), 0) / Math.max(1, readings.length), 2);
  const byOperation: Record<string, number> = {};
  for (const reading of readings) for (const [operation, count] of Object.entries(reading.byOperation)) byOperation[operation] = (byOperation[operation] ?? 0) + count / readings.length;
  return {
    p50: round(p50, 2),
    p95: round(p95, 2),
    rcu: mean((reading) => reading.rcu),
    wcu: mean((reading) => reading.wcu),
    reportedRcu: mean((reading) => reading.reportedRcu),
    reportedWcu: mean((reading) => reading.reportedWcu),
    requests: mean((reading) => reading.requests),
    byOperation: Object.fromEntries(Object.entries(byOperation).map(([operation, count]) => [operation, round(count, 2)])),
  };
}

/** A system under test and the ids of the resources it created in the current round. */
interface Contender {
  readonly system: PersistenceUnderTest;
  ids: string[];
}

/**
 * `samples` calls per system, each metered alone, the systems taking turns (first one, then the
 * other) so that both meet the same moments of a shared, noisy machine.
 */
async function inTurn(contenders: readonly Contender[], samples: number, call: (contender: Contender, i: number) => Promise<unknown>): Promise<CallFigures[]> {
  const times = contenders.map(() => [] as number[]);
  const readings = contenders.map(() => [] as CallReading[]);
  for (let i = 0; i < samples; i++) {
    const order = i % 2 === 0 ? contenders : [...contenders].reverse();
    for (const contender of order) {
      const n = contenders.indexOf(contender);
      contender.system.meter.reset();
      const begin = performance.now();
      await call(contender, i);
      times[n]?.push(performance.now() - begin);
      readings[n]?.push(contender.system.meter.snapshot());
    }
  }
  return contenders.map((_, n) => figuresOf(times[n] ?? [], readings[n] ?? []));
}

/** Each system creates, then reads, then updates `samples` copies of each resource, after a few unmeasured rounds. */
async function measureInTurn(systems: readonly PersistenceUnderTest[], options: PeerOptions): Promise<InteractionFigures[][]> {
  const run = Date.now().toString(36);
  const contenders: Contender[] = systems.map((system) => ({ system, ids: [] }));
  const anchors = await Promise.all(systems.map((system) => system.create(benchPatient(`PEER-${run}-subject`))));
  const resources = anchors.map((anchor) => resourcesFor(run, `Patient/${anchor}`));
  const figures = systems.map(() => [] as InteractionFigures[]);
  const kinds = resources[0] ?? [];
  for (const [k, { create }] of kinds.entries()) {
    const resourceOf = (contender: Contender) => present(resources[contenders.indexOf(contender)]?.[k], 'a resource to write');
    const { resourceType } = create;
    for (const contender of contenders) {
      for (let i = 0; i < warmUp; i++) {
        const id = await contender.system.create(resourceOf(contender).create);
        await contender.system.read(resourceType, id);
        await contender.system.update(resourceOf(contender).update(id));
      }
      contender.ids = [];
    }
    options.progress?.(`${options.samples} × create, read, update ${resourceType}, FWoA and DSC in turn`);
    const idOf = (contender: Contender, i: number) => present(contender.ids[i], `created ${resourceType} ${i}`);
    const rounds: [Interaction, (contender: Contender, i: number) => Promise<unknown>][] = [
      ['create', async (contender) => contender.ids.push(await contender.system.create(resourceOf(contender).create))],
      ['read', (contender, i) => contender.system.read(resourceType, idOf(contender, i))],
      ['update', (contender, i) => contender.system.update(resourceOf(contender).update(idOf(contender, i)))],
    ];
    for (const [interaction, call] of rounds) {
      const measured = await inTurn(contenders, options.samples, call);
      measured.forEach((callFigures, n) => figures[n]?.push({ interaction, resourceType, ...callFigures }));
    }
  }
  return figures;
}

/**
 * FWoA's persistence layer on its own table (`resource-db-dev`, created here) and DSC's domain
 * services on the record and audit tables (created if missing), in the given DynamoDB Local.
 */
export async function measurePeer(options: PeerOptions): Promise<PeerFigures> {
  const client = new DynamoDBClient({ endpoint: options.endpoint, region: options.region, credentials: localCredentials });
  try {
    const fwoa = await fwoaPersistence({ ...options, client });
    const dsc = await oursPersistence(options);
    const [fwoaFigures = [], dscFigures = []] = await measureInTurn([fwoa, dsc], options);
    return {
      samples: options.samples,
      fwoa: { system: `FWoA (${fwoaPackage})`, interactions: fwoaFigures, guessedSizes: fwoa.meter.known.guessed },
      dsc: { system: 'DSC', interactions: dscFigures, guessedSizes: dsc.meter.known.guessed },
    };
  } finally {
    client.destroy();
  }
}

function samplesFromArguments(): number {
  const flag = process.argv.find((argument) => argument.startsWith('--samples='));
  const samples = Number(flag?.slice('--samples='.length) ?? 100);
  if (!Number.isInteger(samples) || samples < 1) throw new Error('--samples must be a positive integer');
  return samples;
}

/** Standalone: its own DynamoDB Local, in memory, on a free port; both systems; the table on stdout. */
async function main(): Promise<void> {
  const samples = samplesFromArguments();
  const progress = (line: string) => process.stderr.write(`[peer-fwoa] ${line}\n`);
  const children = new Children((message) => progress(message));
  try {
    const port = await freePort();
    progress(`starting DynamoDB Local on port ${port}`);
    (await startDynamoDbLocal(children, { port })).destroy();
    const options = { endpoint: endpointOf(port), region: 'ca-central-1', samples, progress };
    process.stdout.write(`${peerMarkdown(await measurePeer(options))}\n`);
  } finally {
    await children.stopAll();
  }
}

if (require.main === module) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  main().catch((error: unknown) => {
    process.stderr.write(`[peer-fwoa] ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
