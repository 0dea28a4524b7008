import { OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { functionBundling } from '../lib/constructs/dsc-function';
import { bucketNames, type BucketName } from '../lambdas/contracts/buckets';
import { environmentFor, functions, journalArchiveBucketEnvVar, preTokenGeneration, type DeploymentValues, type FunctionDefinition } from '../lambdas/contracts/functions';
import { tableNames, type TableName } from '../lambdas/contracts/tables';
import { evaluate, type BudgetResult } from './report';
import { round } from './stats';

/**
 * Cold start of each deployed function, bundled exactly as `cdk synth` bundles it (the options
 * DscFunction gives NodejsFunction) and imported by a fresh Node process, beside an empty handler
 * bundled and started the same way in the same rounds: on a shared machine only that ratio means much.
 */

const repositoryRoot = path.resolve(__dirname, '..');
const kb = (bytes: number) => bytes / 1024;

/** What Lambda's own runtime adds to every function's environment, with placeholders: nothing here reaches the network. */
const lambdaEnvironment = {
  AWS_REGION: 'ca-central-1',
  AWS_DEFAULT_REGION: 'ca-central-1',
  AWS_ACCESS_KEY_ID: 'ASIAPLACEHOLDER',
  AWS_SECRET_ACCESS_KEY: 'placeholder',
  AWS_SESSION_TOKEN: 'placeholder',
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024',
  // The SDK warns once per process on Node 20 (this machine), never on Lambda's Node 24: the warning is not part of a cold start.
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  // As DscFunction sets it: Node then reads each bundle's source map when it loads it, a cost of the deployed cold start.
  NODE_OPTIONS: '--enable-source-maps',
};

const placeholderValues: DeploymentValues = {
  tableNames: Object.fromEntries(tableNames.map((name) => [name, `bench-${name}`])) as Record<TableName, string>,
  bucketNames: Object.fromEntries(bucketNames.map((name) => [name, `bench-${name}`])) as Record<BucketName, string>,
  allowedClientIds: ['bench-client'],
  corsAllowedOrigins: ['https://bench.example.org'],
  userPoolId: 'ca-central-1_bench',
};

/** The deployed functions: every API stack function and the user pool's trigger. */
export function deployedFunctions(): FunctionDefinition[] {
  return [...Object.values(functions), preTokenGeneration];
}

/** The environment a deployed function starts with: its declared tables and settings (placeholder values) and Lambda's own. */
export function coldStartEnvironment(definition: FunctionDefinition): Record<string, string> {
  return {
    ...lambdaEnvironment,
    AWS_LAMBDA_FUNCTION_NAME: definition.id,
    ...environmentFor(definition, placeholderValues),
    // Given with the trigger rather than as a setting (see journalArchiveBucketEnvVar).
    ...(definition.trigger === 'audit-stream' ? { [journalArchiveBucketEnvVar]: 'bench-journal-archive' } : {}),
  };
}

/**
 * esbuild's options for CDK's bundling options, as CDK's own Bundling turns them into esbuild
 * arguments (aws-lambda-nodejs/lib/bundling.ts, buildEsbuildArgs). An option it does not know
 * throws, so a new bundling option cannot silently make the bench measure something else.
 */
export function esbuildOptionsFrom(bundling: BundlingOptions, entry: string, outdir: string): BuildOptions {
  const { format, target, minify, sourceMap, logLevel, mainFields, externalModules, banner, esbuildArgs, ...rest } = bundling;
  if (Object.keys(rest).length > 0) throw new Error(`cold-start: bundling options the bench does not translate: ${Object.keys(rest).join(', ')}`);
  const alias: Record<string, string> = {};
  for (const [arg, value] of Object.entries(esbuildArgs ?? {})) {
    const name = /^--alias:(.+)$/.exec(arg)?.[1];
    if (name === undefined || typeof value !== 'string') throw new Error(`cold-start: esbuild argument the bench does not translate: ${arg}`);
    alias[name] = value;
  }
  return {
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    target: target ?? 'node24',
    format,
    outfile: path.join(outdir, format === OutputFormat.ESM ? 'index.mjs' : 'index.js'),
    minify: minify ?? false,
    sourcemap: sourceMap ?? false,
    logLevel: logLevel ?? 'warning',
    mainFields,
    external: externalModules ?? ['@aws-sdk/*'],
    banner: banner === undefined ? undefined : { js: banner },
    alias,
    absWorkingDir: repositoryRoot,
    metafile: true,
  };
}

export interface Contributor {
  /** A package (`fhirpath`, `@aws-sdk/client-dynamodb`) or a folder of ours (`lambdas/fhir/validation`). */
  readonly module: string;
  readonly bytes: number;
}

/** What an input file counts towards: its package, or its folder in this repository. */
export function moduleOf(input: string): string {
  const inPackage = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input.split(path.sep).join('/'));
  if (inPackage?.[1]) return inPackage[1];
  return path.posix.dirname(input.split(path.sep).join('/'));
}

/** The bytes each package or folder puts into the minified output, largest first. */
export function contributorsOf(metafile: Metafile): Contributor[] {
  const totals = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const module = moduleOf(input);
      totals.set(module, (totals.get(module) ?? 0) + bytesInOutput);
    }
  }
  return [...totals].map(([module, bytes]) => ({ module, bytes })).sort((a, b) => b.bytes - a.bytes);
}

/** The modules a read-only function must not carry: the validator and the FHIRPath engine. */
const heavyModules = [/^lambdas\/fhir\/validation(\/|$)/, /^fhirpath$/, /^ajv$/];
export const heavyModulesIn = (contributors: readonly Contributor[]) =>
  contributors.filter((contributor) => heavyModules.some((pattern) => pattern.test(contributor.module))).map((contributor) => contributor.module);

interface Bundle {
  readonly name: string;
  readonly file: string;
  readonly bytes: number;
  readonly contributors: Contributor[];
  readonly environment: Record<string, string>;
}

async function bundle(name: string, entry: string, outdir: string, environment: Record<string, string>): Promise<Bundle> {
  const options = esbuildOptionsFrom(functionBundling, entry, outdir);
  const result = await build(options);
  const outfile = path.relative(repositoryRoot, options.outfile as string).split(path.sep).join('/');
  const output = result.metafile?.outputs[outfile];
  if (!output || !result.metafile) throw new Error(`cold-start: esbuild wrote no ${outfile} for ${name}`);
  return { name, file: options.outfile as string, bytes: output.bytes, contributors: contributorsOf(result.metafile), environment };
}

/** Runs in the child: imports the bundle as Lambda's runtime does (an ES module), then prints the time since the process began. */
const runnerSource = `const started = performance.now();
const module = await import(process.argv[2]);
const done = performance.now();
if (typeof module.handler !== 'function') throw new Error('no handler export');
process.stdout.write(JSON.stringify({ initMs: done, importMs: done - started }));
`;

/** One cold start: a fresh process, from its start (performance.timeOrigin) to the handler module imported. */
function coldStart(runner: string, target: Bundle): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [runner, pathToFileURL(target.file).href], {
      env: { PATH: process.env.PATH ?? '', ...target.environment },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve((JSON.parse(out) as { initMs: number }).initMs);
      else reject(new Error(`cold-start: ${target.name} failed to start (exit ${code}): ${err.trim().split('\n').slice(-3).join(' ')}`));
    });
  });
}

export function median(values: readonly number[]): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export interface FunctionColdStart {
  readonly id: string;
  readonly entry: string;
  readonly bytes: number;
  /** Median cold init, process start to handler imported. */
  readonly initMs: number;
  /** Median over the rounds of this function's init minus the empty handler's in the same round. */
  readonly overEmptyMs: number;
  /** Median over the rounds of this function's init over the empty handler's in the same round. */
  readonly ratioToEmpty: number;
  /** The validator or FHIRPath, when bundled. */
  readonly heavyModules: string[];
  readonly topContributors: Contributor[];
  readonly error?: string;
}

export interface ColdStartFigures {
  readonly runs: number;
  readonly node: string;
  readonly empty: { readonly bytes: number; readonly initMs: number };
  readonly functions: FunctionColdStart[];
  readonly budgets: BudgetResult[];
}

export interface ColdStartOptions {
  /** Cold starts of each bundle (at least 10 for the documented figure). */
  readonly runs: number;
  readonly progress?: (line: string) => void;
}

const emptyHandler = 'export const handler = async () => ({});\n';

export async function measureColdStarts(options: ColdStartOptions): Promise<ColdStartFigures> {
  const progress = options.progress ?? (() => undefined);
  const workDir = mkdtempSync(path.join(tmpdir(), 'dsc-cold-start-'));
  try {
    const runner = path.join(workDir, 'runner.mjs');
    writeFileSync(runner, runnerSource);
    const emptyEntry = path.join(workDir, 'empty-handler.ts');
    writeFileSync(emptyEntry, emptyHandler);
    const empty = await bundle('empty handler', emptyEntry, path.join(workDir, 'empty'), lambdaEnvironment);
    const definitions = deployedFunctions();
    const bundles = new Map<string, Bundle>();
    const errors = new Map<string, string>();
    for (const definition of definitions) {
      const outdir = path.join(workDir, definition.id);
      mkdirSync(outdir);
      try {
        bundles.set(definition.id, await bundle(definition.id, path.join(repositoryRoot, definition.entry), outdir, coldStartEnvironment(definition)));
      } catch (error) {
        errors.set(definition.id, (error as Error).message.split('\n')[0] ?? 'bundling failed');
      }
    }
    progress(`cold start: ${bundles.size} bundles and the empty handler, ${options.runs} rounds`);
    const samples = new Map<string, number[]>([[empty.name, []], ...[...bundles.keys()].map((id): [string, number[]] => [id, []])]);
    const targets = [empty, ...bundles.values()];
    for (let round = 0; round < options.runs; round++) {
      // Rotate the order each round so no bundle always follows the same neighbour.
      const order = targets.map((_, index) => targets[(index + round) % targets.length] as Bundle);
      for (const target of order) {
        if (errors.has(target.name)) continue;
        try {
          samples.get(target.name)?.push(await coldStart(runner, target));
        } catch (error) {
          errors.set(target.name, (error as Error).message);
        }
      }
      progress(`cold start: round ${round + 1}/${options.runs}`);
    }
    const emptySamples = samples.get(empty.name) ?? [];
    const emptyInit = median(emptySamples);
    // Paired by round: the load on a shared machine drifts between rounds more than within one.
    const paired = (values: readonly number[], combine: (value: number, emptyValue: number) => number) =>
      median(values.map((value, round) => combine(value, emptySamples[round] ?? Number.NaN)));
    const rows = definitions.map((definition): FunctionColdStart => {
      const built = bundles.get(definition.id);
      const own = samples.get(definition.id) ?? [];
      const initMs = median(own);
      const error = errors.get(definition.id);
      return {
        id: definition.id,
        entry: definition.entry,
        bytes: built?.bytes ?? Number.NaN,
        initMs: error ? Number.NaN : initMs,
        overEmptyMs: error ? Number.NaN : paired(own, (value, emptyValue) => value - emptyValue),
        ratioToEmpty: error ? Number.NaN : paired(own, (value, emptyValue) => value / emptyValue),
        heavyModules: heavyModulesIn(built?.contributors ?? []),
        topContributors: (built?.contributors ?? []).slice(0, 8),
        ...(error ? { error } : {}),
      };
    });
    return { runs: options.runs, node: process.version, empty: { bytes: empty.bytes, initMs: emptyInit }, functions: rows, budgets: coldStartBudgets(rows) };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

const readFunctionId = functions.recordRead.id;
const writeFunctionId = functions.recordWrite.id;

/** Issue 10's cold-start budgets, reported beside the bench's others. */
export function coldStartBudgets(rows: readonly FunctionColdStart[]): BudgetResult[] {
  const read = rows.find((row) => row.id === readFunctionId);
  const write = rows.find((row) => row.id === writeFunctionId);
  return evaluate([
    { name: 'read function cold init over the empty handler (ms)', measured: read?.overEmptyMs ?? Number.NaN, limit: 50 },
    { name: 'read function bundle (KB, minified)', measured: read ? kb(read.bytes) : Number.NaN, limit: 300 },
    { name: 'read function: validator or FHIRPath modules bundled', measured: read ? read.heavyModules.length : Number.NaN, limit: 0 },
    { name: 'write function cold init (ms)', measured: write?.initMs ?? Number.NaN, limit: 500 },
  ]);
}

const figure = (value: number, digits = 0) => (Number.isFinite(value) ? String(round(value, digits)) : '—');
const table = (head: readonly string[], rows: readonly (readonly string[])[]) =>
  [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');

function contributorsTable(row: FunctionColdStart | undefined): string {
  if (!row) return '';
  return `Largest contributors to \`${row.id}\` (minified bytes in the bundle):\n\n${table(
    ['module', 'KB', 'share'],
    row.topContributors.map((contributor) => [`\`${contributor.module}\``, figure(kb(contributor.bytes), 1), `${figure((100 * contributor.bytes) / row.bytes)} %`]),
  )}`;
}

/** FHIR Works on AWS's reported cold start (FWoA issue #707): 3,972 ms of init, then 3,379 ms for the first request. */
const fwoaInitMs = 3972;

function fwoaComparison(figures: ColdStartFigures): string {
  const slowest = figures.functions.filter((row) => Number.isFinite(row.initMs)).sort((a, b) => b.initMs - a.initMs)[0];
  if (!slowest) return '';
  return `FHIR Works on AWS reported ${fwoaInitMs.toLocaleString('en')} ms of init (plus 3,379 ms for the first request, FWoA #707), on Lambda: the slowest function here, \`${slowest.id}\`, imports in ${figure(slowest.initMs)} ms locally (${figure(slowest.initMs / fwoaInitMs, 2)}× that init; a local figure against a Lambda one, so only an order of magnitude).`;
}

export function coldStartMarkdown(figures: ColdStartFigures): string {
  const rows = figures.functions.map((row) => [
    `\`${row.id}\``,
    figure(kb(row.bytes), 1),
    row.error ? `failed: ${row.error}` : `${figure(row.initMs)} ms`,
    `${figure(row.overEmptyMs)} ms`,
    figure(row.ratioToEmpty, 2),
    row.heavyModules.length > 0 ? row.heavyModules.map((module) => `\`${module}\``).join(', ') : 'no',
  ]);
  const budgets = table(
    ['budget', 'measured', 'limit', ''],
    figures.budgets.map((budget) => [budget.name, figure(budget.measured, 1), `≤ ${budget.limit}`, budget.met ? 'met' : '**missed**']),
  );
  return [
    `### Cold start (median of ${figures.runs} fresh processes per bundle, ${figures.node})`,
    `Empty handler, bundled the same way: ${figure(kb(figures.empty.bytes), 1)} KB, ${figure(figures.empty.initMs)} ms from process start to handler imported.`,
    table(['function', 'bundle (KB, minified)', 'cold init', 'over empty', '× empty', 'validator or FHIRPath'], rows),
    fwoaComparison(figures),
    contributorsTable(figures.functions.find((row) => row.id === readFunctionId)),
    contributorsTable(figures.functions.find((row) => row.id === writeFunctionId)),
    budgets,
  ]
    .filter(Boolean)
    .join('\n\n');
}

function runsFlag(argv: readonly string[]): number {
  const index = argv.indexOf('--runs');
  const value = index >= 0 ? Number(argv[index + 1]) : 10;
  if (!Number.isInteger(value) || value < 1) throw new Error('usage: npx tsx bench/cold-start.ts [--runs N] (N ≥ 1; 10 or more for the documented figure)');
  return value;
}

if (require.main === module) {
  measureColdStarts({ runs: runsFlag(process.argv.slice(2)), progress: (line) => process.stderr.write(`${line}\n`) })
    .then((figures) => process.stdout.write(`${coldStartMarkdown(figures)}\n`))
    .catch((error: unknown) => {
      process.stderr.write(`${(error as Error).message}\n`);
      process.exitCode = 1;
    });
}
