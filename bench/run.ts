import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pkName, typeHistoryKey } from '../lambdas/store/keys';
import { freePort } from '../local/ports';
import { startLocalStack, type LocalStack, type StackInfo } from '../local/stack';
import { Api, idOf } from './api';
import { parseOptions, usage, type BenchOptions } from './options';
import { evaluate, markdown, type Budget, type LatencyFigures, type Report } from './report';
import { present, summarize } from './stats';

/**
 * `npm run bench`: boots the local stack in memory (DynamoDB Local, cognito-local, the gateway,
 * each function in its own worker, the index processor on the record table's stream) and
 * measures the record: latency and memory of POST/GET Patient through the API; capacity units
 * and DynamoDB requests per interaction, with the access journal's share; search cost and latency
 * as the record grows; and the index lag per kind of search parameter. It prints a Markdown
 * report and writes it with every figure to bench/results/<ISO 8601 basic timestamp>.json.
 *
 * Budgets are reported (met/missed with the ratio), never fatal: the bench is not a CI gate and
 * `npm test` does not run it. Latency here is a local, single-machine figure, not a prediction
 * for AWS; capacity units and request counts are what DynamoDB would bill. See docs/performance.md.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const started = performance.now();
const progress = (line: string) => process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);

/** A Patient of the shape the bench has always posted (one identifier). */
const patient = {
  resourceType: 'Patient',
  identifier: [{ system: 'urn:dsc:bench:mrn', value: 'BENCH-0001' }],
  name: [{ use: 'official', family: 'Bergeron', given: ['Anne-Marie', 'Josée'] }],
  telecom: [{ system: 'phone', value: '514-555-0199', use: 'home' }],
  gender: 'female',
  birthDate: '1967-08-21',
  address: [{ line: ['1234 rue Sainte-Catherine O'], city: 'Montréal', state: 'QC', postalCode: 'H3G 1P1', country: 'CA' }],
  communication: [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code: 'fr-CA' }] }, preferred: true }],
};

/** POST then GET Patient; the reads start once the index processor has caught up with the creates, so they do not share the 2 cores with it. */
async function latencyFigures(api: Api, options: BenchOptions, quiet: () => Promise<void>): Promise<LatencyFigures> {
  for (let i = 0; i < 20; i++) await api.post('/Patient', patient); // warm-up: module caches, JIT, connections
  const createTimes: number[] = [];
  const ids: string[] = [];
  for (let i = 0; i < options.samples; i++) {
    const { ms, json } = await api.post('/Patient', patient);
    createTimes.push(ms);
    ids.push(idOf(json));
  }
  await quiet();
  const readTimes: number[] = [];
  const idOfSample = (i: number) => present(ids[i % ids.length], 'a created Patient');
  for (let i = 0; i < options.samples; i++) readTimes.push((await api.get(`/Patient/${idOfSample(i)}`)).ms);
  const concurrentTimes: number[] = [];
  const begin = performance.now();
  await Promise.all(
    Array.from({ length: options.concurrency }, async (_, worker) => {
      for (let i = worker; i < options.samples; i += options.concurrency) concurrentTimes.push((await api.get(`/Patient/${idOfSample(i)}`)).ms);
    }),
  );
  const readsPerSecond = options.samples / ((performance.now() - begin) / 1000);
  // The same create, each sent once the index processor has finished with the previous one: the
  // request path alone, without the processor's work on the earlier creates sharing the cores.
  const idleTimes: number[] = [];
  for (let i = 0; i < options.idleSamples; i++) {
    await quiet();
    idleTimes.push((await api.post('/Patient', patient)).ms);
  }
  return { create: summarize(createTimes), createIdle: summarize(idleTimes), read: summarize(readTimes), concurrent: summarize(concurrentTimes), concurrency: options.concurrency, readsPerSecond };
}

/** Waits for the stack's index processor, saying how far it is every 10 s. */
async function waitForIndex(stack: LocalStack, info: StackInfo, type = 'Observation'): Promise<void> {
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: info.dynamoDb.endpoint, region: info.cognito.region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }));
  const count = async () => {
    let total = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const page = await documents.send(
        new QueryCommand({ TableName: info.dynamoDb.tables.record, KeyConditionExpression: '#pk = :pk', ExpressionAttributeNames: { '#pk': pkName }, ExpressionAttributeValues: { ':pk': typeHistoryKey(type) }, Select: 'COUNT', ExclusiveStartKey: start }),
      );
      total += page.Count ?? 0;
      start = page.LastEvaluatedKey;
    } while (start);
    return total;
  };
  const timer = setInterval(() => void count().then((indexed) => progress(`index processor: ${indexed} ${type} versions indexed so far`), () => undefined), 10_000);
  try {
    // Twice: the first pass may have begun before the last write; the second begins after the first ends.
    await stack.indexed();
    await stack.indexed();
  } finally {
    clearInterval(timer);
  }
}

/** The commit measured, `-dirty` when the working tree has changes (figures belong to a version of the code). */
function codeVersion(): string {
  try {
    return execFileSync('git', ['describe', '--always', '--dirty'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

async function main() {
  const parsed = parseOptions(process.argv.slice(2));
  if (parsed === 'help') {
    console.log(usage());
    return;
  }
  const options = parsed;
  progress(`options: ${JSON.stringify(options)}`);
  // The bench process alone (tsx, the SDK clients): the part of the RSS below that is not the stack's.
  const benchOnlyRssMb = process.memoryUsage().rss / 2 ** 20;

  const stack = await startLocalStack({
    apiPort: await freePort(),
    cognitoPort: await freePort(),
    tokenPort: await freePort(),
    dynamoDbPort: await freePort(),
    localDir: mkdtempSync(path.join(tmpdir(), 'dsc-bench-')),
    inMemory: true,
    log: () => undefined,
    onCrash: (message) => {
      console.error(`bench: ${message}`);
      process.exit(1);
    },
  });
  try {
    const { info } = stack;
    progress('local stack up');
    const api = await Api.signIn(info, 'physician');

    progress(`latency: ${options.samples} POST /Patient, ${options.samples} GET, ${options.samples} GET ×${options.concurrency} concurrent, ${options.idleSamples} POST with the index processor idle`);
    const latency = await latencyFigures(api, options, () => waitForIndex(stack, info, 'Patient'));
    // Before the bench loads the domain services into this process: gateway, workers and clients only.
    const handlerProcessRssMb = process.memoryUsage().rss / 2 ** 20;
    progress(`latency: POST p95 ${latency.create.p95.toFixed(1)} ms, GET p95 ${latency.read.p95.toFixed(1)} ms; RSS ${handlerProcessRssMb.toFixed(0)} MB (${benchOnlyRssMb.toFixed(0)} MB before the stack)`);

    const { meteredServices } = await import('./in-process');
    const { Seeder } = await import('./seed');
    const { capacityFigures } = await import('./capacity');
    const { measureScale } = await import('./scaling');
    const { indexLagFigures } = await import('./index-lag');
    const metered = meteredServices(info);
    const seeder = new Seeder(info);

    const scaling: Awaited<ReturnType<typeof measureScale>> = [];
    let capacity: Awaited<ReturnType<typeof capacityFigures>> = [];
    for (const [step, observations] of options.scale.entries()) {
      progress(`scale ${observations}: seeding up to ${observations} Observations (with their Patients and Encounters)`);
      const seeded = await seeder.growTo(observations, options.seedConcurrency, progress);
      progress(`scale ${observations}: ${seeded.resources} resources written in ${seeded.seconds.toFixed(0)} s; waiting for the index processor`);
      const waitStart = performance.now();
      await waitForIndex(stack, info);
      progress(`scale ${observations}: index caught up ${((performance.now() - waitStart) / 1000).toFixed(0)} s after the last write`);
      scaling.push(...(await measureScale(api, metered, observations, present(options.scale[0], 'the first scale'), options.searchSamples, progress)));
      if (step === 0) {
        progress('capacity per interaction (in-process, metered)');
        capacity = await capacityFigures(metered, () => waitForIndex(stack, info));
      }
    }

    progress(`index lag: ${options.lagSamples} creates per parameter, polling every ${options.pollMs} ms`);
    await waitForIndex(stack, info);
    const lag = await indexLagFigures(api, options.lagSamples, options.pollMs, options.lagTimeoutMs, progress);
    const endRssMb = process.memoryUsage().rss / 2 ** 20;

    const interaction = (name: string) => capacity.find((row) => row.interaction === name);
    const budgets: Budget[] = [
      { name: 'create p95 (ms)', measured: latency.create.p95, limit: 100 },
      { name: 'read p95 (ms)', measured: latency.read.p95, limit: 50 },
      { name: 'create WCU', measured: interaction('create')?.wcu ?? Number.NaN, limit: 6 },
      { name: 'create RCU', measured: interaction('create')?.rcu ?? Number.NaN, limit: 0 },
      { name: 'read RCU', measured: interaction('read')?.rcu ?? Number.NaN, limit: 1 },
      { name: 'read WCU', measured: interaction('read')?.wcu ?? Number.NaN, limit: 2 },
      { name: 'handler process RSS (MB)', measured: handlerProcessRssMb, limit: 400 },
    ];
    const first = options.scale[0];
    const last = options.scale.at(-1);
    if (first !== undefined && last !== undefined && last !== first) {
      for (const query of new Set(scaling.map((point) => point.query))) {
        const a = present(scaling.find((point) => point.query === query && point.observations === first), `${query} at N=${first}`);
        const b = present(scaling.find((point) => point.query === query && point.observations === last), `${query} at N=${last}`);
        budgets.push({ name: `${query}: RCU per request, N=${last} / N=${first}`, measured: b.rcu / a.rcu, limit: 1.1 });
        budgets.push({ name: `${query}: p50, N=${last} / N=${first}`, measured: b.latency.p50 / a.latency.p50, limit: 1.5 });
        budgets.push({ name: `${query}: p95, N=${last} / N=${first}`, measured: b.latency.p95 / a.latency.p95, limit: 2 });
      }
    }
    for (const figure of lag.filter((entry) => entry.consistency === 'eventual')) {
      budgets.push({ name: `index lag p95 (ms), ${figure.param}`, measured: figure.timeouts > 0 ? Number.POSITIVE_INFINITY : figure.lag.p95, limit: 1000 });
    }
    for (const figure of lag.filter((entry) => entry.consistency === 'read-your-writes')) {
      budgets.push({ name: `read-your-writes, ${figure.param}: creates the first search missed`, measured: figure.samples - figure.foundAtFirstSearch, limit: 0 });
    }

    const report: Report = { latency, memory: { handlerProcessRssMb, benchOnlyRssMb, endRssMb }, capacity, scaling, lag, budgets: evaluate(budgets) };
    const now = new Date();
    const cpu = cpus();
    const machine = `${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}`;
    const code = codeVersion();
    const seconds = (performance.now() - started) / 1000;
    const text = markdown(report, `## Latest run: ${now.toISOString().slice(0, 16).replace('T', ' ')} UTC, commit \`${code}\`, ${machine}, ${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s\n\nFlags: \`${process.argv.slice(2).join(' ') || '(defaults)'}\` → scale ${options.scale.join(', ')}; ${options.samples} latency samples; ${options.searchSamples} requests per query and scale; ${options.lagSamples} lag samples per parameter.`);
    console.log(`\n${text}`);

    mkdirSync(options.out, { recursive: true });
    const file = path.join(options.out, `${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}.json`);
    writeFileSync(file, `${JSON.stringify({ date: now.toISOString(), commit: code, machine, durationSeconds: Math.round(seconds), options, ...report, markdown: text }, null, 2)}\n`);
    const missed = report.budgets.filter((budget) => !budget.met);
    progress(`${report.budgets.length - missed.length}/${report.budgets.length} budgets met${missed.length > 0 ? `; missed: ${missed.map((budget) => budget.name).join('; ')}` : ''}`);
    progress(`results written to ${file} (${Math.round(seconds)} s in all)`);
  } finally {
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  console.error(`bench: ${(error as Error).stack ?? String(error)}`);
  process.exit(1);
});
