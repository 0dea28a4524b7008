import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildSync } from 'esbuild';
import type { OutcomeIssue } from '../lambdas/fhir/errors';
import { validateResource } from '../lambdas/fhir/validation';
import { invalidHl7Examples, invariantGaps, structureGaps } from '../lambdas/fhir/validation/known-gaps';
import {
  allHl7Examples,
  allSyntheaResources,
  allValidatorCases,
  hasSharedData,
  isAtOrInside,
  parseValidatorCase,
  sharedDataDir,
  syntheaTransactionBundles,
} from '../test/support/shared-data';
import { outputDir, outputFile } from './generate-validator';

/**
 * Measures the FHIR R4 validator against the shared data (../shared/data) and its cost at cold
 * start, prints the figures, and writes docs/validation.md. `npm run validation:report`.
 */

const root = path.resolve(__dirname, '..');
export const validationDoc = path.join(root, 'docs', 'validation.md');

interface Tier {
  readonly tier: string;
  readonly what: string;
  readonly total: number;
  readonly accepted: number;
  readonly rejected: number;
  /** Cases where our verdict (accept/reject) is the expected one. */
  readonly agreeing: number;
  readonly note: string;
}

interface ColdStart {
  readonly runs: number;
  /** Median wall-clock time of `node bundle.mjs`: start Node, import, validate one Patient, exit. */
  readonly processMs: number;
  /** Median time from process start to a validated Patient, measured inside the process. */
  readonly readyMs: number;
  /** The same for a bundle that imports nothing: Node's own share. */
  readonly emptyProcessMs: number;
  /** Median of the paired differences (validator run − empty run): the validator's own share. */
  readonly validatorShareMs: number;
  readonly bundleBytes: number;
  readonly bundleGzipBytes: number;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};

const validate = (resource: Record<string, unknown>): OutcomeIssue[] => validateResource(String(resource.resourceType), resource);

function tiers(): { tiers: Tier[]; otherAccepted: { name: string; reason: string }[]; locatedLikeReference: number; examplesMs: number } {
  const examples = allHl7Examples();
  const started = performance.now();
  const examplesAccepted = examples.filter(({ resource }) => validate(resource).length === 0).length;
  const examplesMs = performance.now() - started;
  const synthea = [...allSyntheaResources().map(({ resource }) => resource), ...syntheaTransactionBundles().map(({ bundle }) => bundle)];
  const syntheaAccepted = synthea.filter((resource) => validate(resource).length === 0).length;
  const cases = allValidatorCases();
  const result: Tier[] = [
    { tier: 'examples', what: 'HL7 R4 examples (all valid)', total: examples.length, accepted: examplesAccepted, rejected: examples.length - examplesAccepted, agreeing: examplesAccepted, note: '' },
    { tier: 'synthea', what: 'Synthea resources and their 5 bundles (all valid)', total: synthea.length, accepted: syntheaAccepted, rejected: synthea.length - syntheaAccepted, agreeing: syntheaAccepted, note: '' },
  ];
  const otherAccepted: { name: string; reason: string }[] = [];
  let locatedLikeReference = 0;
  const labels: Record<string, string> = {
    none: 'valid: validator cases expected valid',
    parse: 'parse: malformed JSON',
    structure: 'structure: base-spec structural errors',
    invariant: 'invariant: FHIRPath invariants',
    other: 'other: terminology, profiles, references',
  };
  for (const tier of ['none', 'parse', 'structure', 'invariant', 'other']) {
    const inTier = cases.filter((entry) => entry.tier === tier);
    let accepted = 0;
    let rejected = 0;
    let agreeing = 0;
    let notJson = 0;
    for (const entry of inTier) {
      const resource = parseValidatorCase(entry.text);
      if (!resource) {
        notJson++;
        if (!entry.expected_valid) agreeing++;
        continue;
      }
      const issues = validate(resource);
      if (issues.length === 0) accepted++;
      else rejected++;
      if ((issues.length === 0) === entry.expected_valid) agreeing++;
      if (tier === 'structure' && issues.some((issue) => entry.referenceExpressions.some((reference) => isAtOrInside(issue.expression?.[0] ?? '', reference)))) locatedLikeReference++;
      if (tier === 'other' && issues.length === 0) otherAccepted.push({ name: entry.name, reason: entry.errors[0] ?? '' });
    }
    const withBom = inTier.filter((entry) => entry.text.startsWith('\uFEFF')).length;
    const note = [
      tier === 'parse' ? `${notJson} of ${inTier.length} fail JSON.parse: the API's JSON parser refuses them (400) before validation` : notJson > 0 ? `${notJson} not JSON` : '',
      withBom > 0 ? `${withBom} begins with a byte-order mark, dropped first as the API's decoder does` : '',
    ].filter(Boolean).join('; ');
    result.push({ tier: tier === 'none' ? 'valid' : tier, what: labels[tier] ?? tier, total: inTier.length, accepted, rejected: tier === 'parse' ? notJson : rejected, agreeing, note });
  }
  return { tiers: result, otherAccepted, locatedLikeReference, examplesMs };
}

/** Bundles `entry` (ESM, minified, as the Lambda functions are) and times fresh Node processes running it. */
export function measureColdStart(entry: string, runs = 10): ColdStart {
  const dir = mkdtempSync(path.join(tmpdir(), 'validation-cold-'));
  try {
    const build = (contents: string, file: string) => {
      buildSync({
        stdin: { contents, resolveDir: root, loader: 'ts', sourcefile: 'entry.ts' },
        bundle: true,
        format: 'esm',
        platform: 'node',
        target: 'node20',
        minify: true,
        keepNames: true,
        outfile: path.join(dir, file),
        banner: { js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);" },
        logLevel: 'error',
      });
      return path.join(dir, file);
    };
    const bundle = build(entry, 'validator.mjs');
    const empty = build('console.log(JSON.stringify({ readyMs: performance.now() }));', 'empty.mjs');
    const time = (file: string) => {
      const started = process.hrtime.bigint();
      const run = spawnSync(process.execPath, [file], { encoding: 'utf8' });
      const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
      if (run.status !== 0) throw new Error(`${file} failed: ${run.stderr}`);
      return { processMs: elapsed, readyMs: (JSON.parse(run.stdout) as { readyMs: number }).readyMs };
    };
    time(bundle); // warm the file cache: a Lambda reads its code from a warm disk too
    time(empty);
    // Interleaved, so that load from elsewhere on the machine weighs on both alike.
    const measured: { processMs: number; readyMs: number }[] = [];
    const baseline: { processMs: number; readyMs: number }[] = [];
    for (let run = 0; run < runs; run++) {
      measured.push(time(bundle));
      baseline.push(time(empty));
    }
    const code = readFileSync(bundle);
    return {
      runs,
      processMs: median(measured.map((run) => run.processMs)),
      readyMs: median(measured.map((run) => run.readyMs)),
      emptyProcessMs: median(baseline.map((run) => run.processMs)),
      validatorShareMs: median(measured.map((run, index) => run.processMs - (baseline[index]?.processMs ?? 0))),
      bundleBytes: code.length,
      bundleGzipBytes: gzipSync(code, { level: 9 }).length,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const coldStartEntry = `
import { validateResource } from './lambdas/fhir/validation';
const issues = validateResource('Patient', { resourceType: 'Patient', id: 'p1', name: [{ family: 'Bélanger', given: ['Zoé'] }], gender: 'female', birthDate: '2001-02-28' });
if (issues.length > 0) throw new Error(JSON.stringify(issues));
console.log(JSON.stringify({ readyMs: performance.now() }));
`;

const kb = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KB`;
const ms = (value: number): string => `${value.toFixed(0)} ms`;

export function renderReport(data: ReturnType<typeof tiers> | undefined, cold: ColdStart): string {
  const generated = readFileSync(path.join(outputDir, outputFile));
  const lines = [
    '# FHIR R4 validation: what it catches, what it costs',
    '',
    'Generated by `npm run validation:report` (scripts/validation-report.ts); do not edit by hand.',
    'The validator is `validateResource` in lambdas/fhir/validation.ts; docs/validator-choice.md says why this one.',
    '',
  ];
  if (!data) {
    lines.push(`The shared data (${sharedDataDir}) was absent when this was generated: no tier figures.`, '');
  } else {
    lines.push(
      '## Against the shared data (../shared/data)',
      '',
      '"Agreeing" counts the cases where accepting or rejecting is what the HL7 Java reference validator expects.',
      '',
      '| tier | what | cases | accepted | rejected | agreeing | note |',
      '|---|---|--:|--:|--:|--:|---|',
      ...data.tiers.map((t) => `| ${t.tier} | ${t.what} | ${t.total} | ${t.accepted} | ${t.rejected} | ${t.agreeing} | ${t.note} |`),
      '',
      `Every rejected structure case has an issue at the element the reference validator flags, or inside it: ${data.locatedLikeReference} of ${data.tiers.find((t) => t.tier === 'structure')?.rejected ?? 0}.`,
      '',
    );
  }
  const gapList = (gaps: Readonly<Record<string, string>>) => (Object.keys(gaps).length === 0 ? ['- none'] : Object.entries(gaps).map(([name, reason]) => `- \`${name}\`: ${reason}`));
  lines.push(
    '## Known gaps',
    '',
    'Listed in lambdas/fhir/validation/known-gaps.ts; test/lambdas/fhir/validation-shared-data.test.ts fails if the validator stops matching these lists.',
    '',
    '**HL7 examples refused:**',
    '',
    ...gapList(invalidHl7Examples),
    '',
    '**Structure-tier cases accepted:**',
    '',
    ...gapList(structureGaps),
    '',
    '**Invariant-tier cases accepted** (FHIRPath invariants are not evaluated):',
    '',
    ...gapList(invariantGaps),
    '',
  );
  if (data) {
    lines.push(
      `**Other-tier cases accepted** (${data.otherAccepted.length}; they need a terminology server, profiles, extension definitions or reference resolution, out of scope for base validation), with the reference validator's first error:`,
      '',
      ...data.otherAccepted.map(({ name, reason }) => `- \`${name}\`: ${reason.replace(/\s+/g, ' ').replace(/\|/g, '\\|').slice(0, 140)}`),
      '',
    );
  }
  lines.push(
    '## Cost',
    '',
    '| figure | value |',
    '|---|--:|',
    `| generated module (${path.relative(root, path.join(outputDir, outputFile))}, minified) | ${kb(generated.length)} (${kb(gzipSync(generated, { level: 9 }).length)} gzipped) |`,
    `| bundle: validateResource and a caller, esbuild ESM minified | ${kb(cold.bundleBytes)} (${kb(cold.bundleGzipBytes)} gzipped) |`,
    `| cold start: fresh \`node\` process, import + validate one Patient, median of ${cold.runs} | ${ms(cold.processMs)} |`,
    `| of which inside the process (process start → Patient validated) | ${ms(cold.readyMs)} |`,
    `| the same process with an empty bundle (Node alone) | ${ms(cold.emptyProcessMs)} |`,
    `| the validator's share (median of paired differences) | ${ms(cold.validatorShareMs)} |`,
    ...(data ? [`| validating the ${data.tiers[0]?.total ?? 0} HL7 examples, one after the other, in this process | ${ms(data.examplesMs)} |`] : []),
    '',
    `Measured with Node ${process.version} on this machine (load average ${loadavg()[0]?.toFixed(1)} when measured; runs interleaved with the empty bundle); the target is 0.5 s for import + validate.`,
    '',
  );
  return lines.join('\n');
}

function main(): void {
  const data = hasSharedData ? tiers() : undefined;
  const cold = measureColdStart(coldStartEntry);
  const report = renderReport(data, cold);
  writeFileSync(validationDoc, report);
  console.log(report);
  console.log(`wrote ${path.relative(process.cwd(), validationDoc)} (${statSync(validationDoc).size} bytes)`);
}

if (require.main === module) main();
