import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pkName, typeHistoryKey } from '../lambdas/store/keys';
import { freePort } from '../local/ports';
import { startLocalStack, type LocalStack, type StackInfo } from '../local/stack';
import { Api } from './api';
import { capacityFigures } from './capacity';
import { coldStartMarkdown, measureColdStarts } from './cold-start';
import { costMarkdown, costModel } from './cost-model';
import { meteredServices } from './in-process';
import { indexLagFigures } from './index-lag';
import { latencyMatrix, rawFigures } from './latency';
import { measureLoadRate } from './load-rate';
import { operationSpecs } from './operations';
import { parseOptions, usage, type Section } from './options';
import { measurePeer, peerMarkdown } from './peer-fwoa';
import { budgetsOf, evaluate, markdown, type Figures, type Report } from './report';
import { measureScale } from './scaling';
import { Seeder } from './seed';

/**
 * `npm run bench`: measures the record on the local stack, booted in memory (DynamoDB Local,
 * cognito-local, the gateway, each function in its own worker, the index processor on the record
 * table's stream): cold starts of the bundled functions; latency and throughput through the
 * gateway at several concurrencies, beside the raw DynamoDB Local latency of the same requests;
 * capacity units and DynamoDB requests per interaction, with the access journal's share; search
 * and `$everything` as the record grows (to 100,000 Observations with a flag); the index lag per
 * kind of search parameter; FHIR Works on AWS's persistence on the same DynamoDB Local; the bulk
 * loader's rate; and the cost model. It prints a Markdown report and writes it with every figure to
 * bench/results/<ISO 8601 basic timestamp>.json.
 *
 * Budgets are reported (met/missed with the ratio), never fatal: the bench is not a CI gate and
 * `npm test` does not run it. Latency here is a local, single-machine figure, not a prediction
 * for AWS; capacity units and request counts are what DynamoDB would bill. See docs/performance.md.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const started = performance.now();
const progress = (line: string) => process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);

/** Synthea bundles shared by the project's machines (absent on a fresh clone: the loader figure is then skipped). */
const syntheaDir = path.resolve(__dirname, '../../shared/data/synthea');

function syntheaFiles(): string[] {
  try {
    return readdirSync(syntheaDir)
      .filter((name) => name.endsWith('.json'))
      .map((name) => path.join(syntheaDir, name));
  } catch {
    return [];
  }
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
  const runs = (section: Section) => !options.skip.includes(section);
  progress(`options: ${JSON.stringify(options)}`);
  const benchOnlyRssMb = process.memoryUsage().rss / 2 ** 20;

  const rendered: Figures['rendered'] = {};
  // First, alone on the cores: fresh processes whose start-up time is the figure.
  let coldStart: Figures['coldStart'];
  if (runs('cold-start')) {
    progress(`cold start: bundling the functions, then ${options.coldRuns} fresh processes per function`);
    coldStart = await measureColdStarts({ runs: options.coldRuns, progress });
    rendered.coldStart = coldStartMarkdown(coldStart);
  }

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
    const metered = meteredServices(info);
    const seeder = new Seeder(info);

    const figures: Figures = { latency: [], raw: [], capacity: [], scaling: [], lag: [], seeding: [], memory: { benchOnlyRssMb, handlerProcessRssMb: Number.NaN, endRssMb: Number.NaN }, coldStart, notes: [], rendered };
    const scales = runs('scaling') ? options.scale : options.scale.slice(0, 1);
    for (const [step, observations] of scales.entries()) {
      await waitForIndex(stack, info, 'Patient');
      progress(`scale ${observations}: seeding up to ${observations} Observations (with their Patients and Encounters), index items written directly`);
      const seeded = await stack.withoutIndexing(() => seeder.growTo(observations, options.seedConcurrency, progress));
      figures.seeding = [...figures.seeding, { observations, ...seeded }];
      progress(`scale ${observations}: ${seeded.resources} resources (${seeded.items} items) written in ${seeded.seconds.toFixed(0)} s: ${Math.round(seeded.resources / seeded.seconds)} resources/s, ${Math.round(seeded.items / seeded.seconds)} items/s`);
      if (step === 0) {
        if (runs('capacity')) {
          progress('capacity per interaction (in-process, metered)');
          figures.capacity = await capacityFigures(metered, () => waitForIndex(stack, info));
        }
        if (runs('latency')) {
          const specs = operationSpecs(metered, observations);
          progress(`latency: ${options.samples} requests per operation at concurrency ${options.concurrency.join(', ')}`);
          figures.latency = await latencyMatrix(api, specs, options.concurrency, options.samples, progress);
          figures.memory = { ...figures.memory, handlerProcessRssMb: process.memoryUsage().rss / 2 ** 20 };
          await waitForIndex(stack, info, 'Patient');
          progress(`raw DynamoDB Local: ${options.samples} replays of each operation's requests, each followed by the same operation through the gateway`);
          figures.raw = await rawFigures(info, api, metered.recorder, specs, options.samples);
        }
      }
      if (runs('scaling')) figures.scaling = [...figures.scaling, ...(await measureScale(api, metered, observations, scales[0] ?? observations, options.searchSamples, progress))];
    }

    if (runs('lag')) {
      progress(`index lag: ${options.lagSamples} creates per parameter, polling every ${options.pollMs} ms`);
      await waitForIndex(stack, info);
      figures.lag = await indexLagFigures(api, options.lagSamples, options.pollMs, options.lagTimeoutMs, progress);
    }
    if (runs('peer')) {
      progress(`peer: FHIR Works on AWS persistence on the same DynamoDB Local, ${options.peerSamples} samples per interaction`);
      figures.peer = await measurePeer({ endpoint: info.dynamoDb.endpoint, region: info.cognito.region, samples: options.peerSamples, progress });
      rendered.peer = peerMarkdown(figures.peer);
    }
    if (runs('load')) {
      const files = syntheaFiles();
      if (files.length === 0) figures.notes.push(`Bulk loader: no Synthea bundles in ${syntheaDir}, so no loader figure in this run.`);
      else {
        progress(`bulk loader: ${files.length} Synthea bundles from ${syntheaDir}`);
        figures.load = await measureLoadRate(info, files);
      }
    }
    if (runs('cost')) {
      progress('cost model: cdk synth of the prod stage, then the idle cost and the cost per million requests');
      const templates = mkdtempSync(path.join(tmpdir(), 'dsc-bench-cdk-'));
      try {
        execFileSync('npx', ['cdk', 'synth', '--quiet', '-c', 'stage=prod', '--output', templates], { stdio: ['ignore', 'ignore', 'pipe'] }); // its stderr only in the error, if it fails
        figures.cost = costModel(figures.capacity, figures.latency, { templatesDir: templates, stage: 'prod' });
        rendered.cost = costMarkdown(figures.cost);
      } finally {
        rmSync(templates, { recursive: true, force: true });
      }
    }
    figures.memory = { ...figures.memory, endRssMb: process.memoryUsage().rss / 2 ** 20 };

    const final: Report = { ...figures, budgets: evaluate(budgetsOf(figures)) };
    const now = new Date();
    const cpu = cpus();
    const machine = `${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}`;
    const code = codeVersion();
    const seconds = (performance.now() - started) / 1000;
    const text = markdown(
      final,
      `## Latest run: ${now.toISOString().slice(0, 16).replace('T', ' ')} UTC, commit \`${code}\`, ${machine}, ${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s\n\nFlags: \`${process.argv.slice(2).join(' ') || '(defaults)'}\` → scale ${scales.join(', ')}; ${options.samples} requests per latency cell; ${options.searchSamples} requests per query and scale; ${options.lagSamples} lag samples per parameter${options.skip.length > 0 ? `; skipped: ${options.skip.join(', ')}` : ''}.`,
    );
    console.log(`\n${text}`);

    mkdirSync(options.out, { recursive: true });
    const file = path.join(options.out, `${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}.json`);
    writeFileSync(file, `${JSON.stringify({ date: now.toISOString(), commit: code, machine, durationSeconds: Math.round(seconds), options, ...final, markdown: text }, null, 2)}\n`);
    const missed = final.budgets.filter((budget) => !budget.met);
    progress(`${final.budgets.length - missed.length}/${final.budgets.length} budgets met${missed.length > 0 ? `; missed: ${missed.map((budget) => budget.name).join('; ')}` : ''}`);
    progress(`results written to ${file} (${Math.round(seconds)} s in all)`);
  } finally {
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  console.error(`bench: ${(error as Error).stack ?? String(error)}`);
  process.exit(1);
});
