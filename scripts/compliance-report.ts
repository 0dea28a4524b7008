import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import cdkJson from '../cdk.json';
import { resolveStageConfig } from '../lib/config';
import { createDscStacks } from '../lib/dsc-app';
import { controls, type Control, type PropertyCheck, type ResourceCheck } from '../lib/nag/controls';
import { nagFindings, nagPacks, type NagFinding } from '../lib/nag/packs';

/**
 * `npm run compliance`: synthesizes the production stage offline, in process, and writes
 * docs/compliance/report.md and its JSON twin from the templates: for each control of
 * lib/nag/controls.ts, the resources and the properties that satisfy it, and the nag results and
 * acknowledgements. Deterministic (sorted, no dates, no asset hashes): a test regenerates it.
 */
export const reportStage = 'prod';
const repositoryRoot = path.resolve(__dirname, '..');
export const reportFiles = {
  markdown: path.join(repositoryRoot, 'docs', 'compliance', 'report.md'),
  json: path.join(repositoryRoot, 'docs', 'compliance', 'report.json'),
};

/** What the report reads of a synthesized template resource. */
interface TemplateResource {
  readonly Type: string;
  readonly Metadata?: { readonly cdk_nag?: { readonly rules_to_suppress?: readonly { readonly id: string; readonly reason: string }[] } };
}

export interface SynthesizedStack {
  readonly stackName: string;
  readonly region: string;
  readonly account: string;
  readonly template: { readonly Resources?: Readonly<Record<string, TemplateResource>> };
}

export interface PropertyResult {
  readonly path: string;
  readonly values: readonly unknown[];
  readonly expected?: unknown;
  readonly status: 'ok' | 'MISSING' | 'MISMATCH';
}

export interface ResourceResult {
  readonly stack: string;
  readonly logicalId: string;
  readonly type: string;
  readonly role: string;
  readonly properties: readonly PropertyResult[];
}

export interface AcknowledgementEntry {
  readonly pack: string;
  readonly ruleId: string;
  readonly stack: string;
  readonly logicalId: string;
  readonly type: string;
  readonly reason: string;
}

export interface ControlResult {
  readonly id: string;
  readonly title: string;
  readonly summary: string;
  readonly code: readonly { readonly file: string; readonly exists: boolean }[];
  readonly resources: readonly ResourceResult[];
  /** Resource checks that matched nothing in the templates. */
  readonly absent: readonly { readonly type: string; readonly role: string; readonly logicalId?: string }[];
  readonly findings: readonly NagFinding[];
  readonly acknowledgements: readonly AcknowledgementEntry[];
}

export interface ComplianceReport {
  readonly stage: string;
  readonly stacks: readonly { readonly stackName: string; readonly region: string; readonly account: string }[];
  readonly packs: readonly { readonly pack: string; readonly unacknowledgedFindings: number; readonly acknowledgements: number }[];
  readonly controls: readonly ControlResult[];
  /** Findings no control's nag rules name: listed, never dropped. */
  readonly otherFindings: readonly NagFinding[];
  readonly acknowledgements: readonly AcknowledgementEntry[];
  /** Every MISSING or MISMATCH property and every absent resource, one line each. */
  readonly gaps: readonly string[];
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const elementsOf = (value: unknown): unknown[] => (Array.isArray(value) ? (value as unknown[]) : isRecord(value) ? Object.values(value) : []);

/**
 * The values at a dotted path of a template resource. `*` fans out over a list or map;
 * `*[Key=value]` keeps only the elements whose `Key` is that string, e.g. a WAF rule by `Name`.
 */
export function valuesAt(resource: unknown, propertyPath: string): unknown[] {
  return propertyPath.split('.').reduce<unknown[]>(
    (current, segment) =>
      current.flatMap((value) => {
        if (segment === '*') return elementsOf(value);
        const filter = /^\*\[([^=\]]+)=([^\]]*)\]$/.exec(segment);
        if (filter) return elementsOf(value).filter((element) => isRecord(element) && element[filter[1] ?? ''] === filter[2]);
        return isRecord(value) && Object.hasOwn(value, segment) ? [value[segment]] : [];
      }),
    [resource],
  );
}

function checkProperty(resource: unknown, check: PropertyCheck): PropertyResult {
  const values = valuesAt(resource, check.path);
  const matches = (value: unknown) => JSON.stringify(value) === JSON.stringify(check.expected);
  const status = values.length === 0 ? 'MISSING' : 'expected' in check && !values.every(matches) ? 'MISMATCH' : 'ok';
  return { path: check.path, values, ...('expected' in check ? { expected: check.expected } : {}), status };
}

const byKey = <T>(key: (item: T) => string) => (a: T, b: T) => key(a).localeCompare(key(b));

function resourcesOf(stacks: readonly SynthesizedStack[], check: ResourceCheck): ResourceResult[] {
  return stacks
    .flatMap((stack) =>
      Object.entries(stack.template.Resources ?? {})
        .filter(([logicalId, resource]) => resource.Type === check.type && (check.logicalId?.test(logicalId) ?? true))
        .map(([logicalId, resource]) => ({
          stack: stack.stackName,
          logicalId,
          type: check.type,
          role: check.role,
          properties: check.properties.map((property) => checkProperty(resource, property)),
        })),
    )
    .sort(byKey((resource) => `${resource.stack}/${resource.logicalId}`));
}

/** The acknowledgements written into the templates' Metadata (`cdk_nag.rules_to_suppress`) by the nag packs. */
export function acknowledgementsOf(stacks: readonly SynthesizedStack[]): AcknowledgementEntry[] {
  return stacks
    .flatMap((stack) =>
      Object.entries(stack.template.Resources ?? {}).flatMap(([logicalId, resource]) =>
        (resource.Metadata?.cdk_nag?.rules_to_suppress ?? []).map(({ id, reason }) => ({
          pack: id.slice(0, id.indexOf('-')),
          ruleId: id,
          stack: stack.stackName,
          logicalId,
          type: resource.Type,
          reason,
        })),
      ),
    )
    .sort(byKey((entry) => `${entry.pack} ${entry.ruleId} ${entry.stack}/${entry.logicalId}`));
}

function controlResult(control: Control, stacks: readonly SynthesizedStack[], findings: readonly NagFinding[], acknowledgements: readonly AcknowledgementEntry[]): ControlResult {
  const checked = control.resources.map((check) => ({ check, resources: resourcesOf(stacks, check) }));
  const concerns = (ruleId: string) => control.nagRules?.test(ruleId) ?? false;
  return {
    id: control.id,
    title: control.title,
    summary: control.summary,
    code: control.code.map((file) => ({ file, exists: existsSync(path.join(repositoryRoot, file)) })),
    resources: checked.flatMap(({ resources }) => resources),
    absent: checked
      .filter(({ resources }) => resources.length === 0)
      .map(({ check }) => ({ type: check.type, role: check.role, ...(check.logicalId ? { logicalId: check.logicalId.source } : {}) })),
    findings: findings.filter((finding) => concerns(finding.ruleId)),
    acknowledgements: acknowledgements.filter((acknowledgement) => concerns(acknowledgement.ruleId)),
  };
}

function gapsOf(control: ControlResult): string[] {
  const absent = control.absent.map((check) => `${control.id}: no ${check.type} (${check.role}) in the templates: MISSING`);
  const properties = control.resources.flatMap((resource) =>
    resource.properties
      .filter((property) => property.status !== 'ok')
      .map((property) => `${control.id}: ${resource.stack}/${resource.logicalId} ${property.path}: ${property.status}${property.status === 'MISMATCH' ? ` (expected ${JSON.stringify(property.expected)})` : ''}`),
  );
  const code = control.code.filter((link) => !link.exists).map((link) => `${control.id}: ${link.file} does not exist: MISSING`);
  return [...absent, ...properties, ...code];
}

export function buildReport(stage: string, stacks: readonly SynthesizedStack[], findings: readonly NagFinding[]): ComplianceReport {
  const sortedStacks = [...stacks].sort(byKey((stack) => stack.stackName));
  const acknowledgements = acknowledgementsOf(sortedStacks);
  const controlResults = controls.map((control) => controlResult(control, sortedStacks, findings, acknowledgements));
  const packNames = nagPacks().map((pack) => pack.readPackName);
  return {
    stage,
    stacks: sortedStacks.map(({ stackName, region, account }) => ({ stackName, region, account })),
    packs: packNames.map((pack) => ({
      pack,
      unacknowledgedFindings: findings.filter((finding) => finding.pack === pack).length,
      acknowledgements: acknowledgements.filter((acknowledgement) => acknowledgement.pack === pack).length,
    })),
    controls: controlResults,
    otherFindings: findings.filter((finding) => !controls.some((control) => control.nagRules?.test(finding.ruleId))),
    acknowledgements,
    gaps: controlResults.flatMap(gapsOf),
  };
}

/** A template value in a table cell: strings as they are, anything else as compact JSON, long ones cut. */
function cell(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const shown = text.length > 160 ? `${text.slice(0, 160)}…` : text;
  return `\`${shown.replace(/\|/g, '\\|').replace(/`/g, "'")}\``;
}

function propertyCell(property: PropertyResult): string {
  if (property.status === 'MISSING') return '**MISSING**';
  const values = property.values.map(cell).join('<br>');
  return property.status === 'MISMATCH' ? `${values} **MISMATCH** (expected ${cell(property.expected)})` : values;
}

const findingLine = (finding: NagFinding) => `- \`${finding.ruleId}\` on \`${finding.path}\`: ${finding.description}`;
const acknowledgementLine = (entry: AcknowledgementEntry) => `- \`${entry.ruleId}\` on \`${entry.stack}/${entry.logicalId}\` (${entry.type}): ${entry.reason}`;

function renderControl(control: ControlResult, index: number): string[] {
  const rows = control.resources.flatMap((resource) =>
    resource.properties.map((property) => `| \`${resource.stack}/${resource.logicalId}\` | ${resource.type} | \`${property.path}\` | ${propertyCell(property)} |`),
  );
  const absentRows = control.absent.map((check) => `| — (${check.role}${check.logicalId ? `, logical id /${check.logicalId}/` : ''}) | ${check.type} | (no such resource) | **MISSING** |`);
  const code = control.code.map((link) => (link.exists ? `[\`${link.file}\`](../../${link.file})` : `\`${link.file}\` **MISSING**`));
  return [
    `### ${index + 1}. ${control.title}`,
    '',
    control.summary,
    '',
    `Enforced in code: ${code.join(', ')}`,
    '',
    '| resource (stack/logical id) | type | property | value |',
    '|---|---|---|---|',
    ...rows,
    ...absentRows,
    '',
    `Nag, unacknowledged findings: ${control.findings.length === 0 ? 'none' : control.findings.length}`,
    ...(control.findings.length > 0 ? ['', ...control.findings.map(findingLine)] : []),
    '',
    `Nag, acknowledgements: ${control.acknowledgements.length === 0 ? 'none' : control.acknowledgements.length}`,
    ...(control.acknowledgements.length > 0 ? ['', ...control.acknowledgements.map(acknowledgementLine)] : []),
    '',
  ];
}

export function renderMarkdown(report: ComplianceReport): string {
  return [
    `# Compliance report: stage \`${report.stage}\``,
    '',
    `Generated by \`npm run compliance\` from the synthesized \`${report.stage}\` templates and \`lib/nag/controls.ts\`; do not edit by hand.`,
    'Property values are extracted from the templates by path. **MISSING** marks a property or resource a control expects',
    'and the templates lack; **MISMATCH** a value other than the one the control requires. Nag packs: AwsSolutions,',
    'HIPAA.Security, NIST.800.53.R5 (cdk-nag 3), and Dsc (our TableV2 checks, `lib/nag/table-checks.ts`). Every synth runs them.',
    '',
    '## Stacks',
    '',
    '| stack | region | account |',
    '|---|---|---|',
    ...report.stacks.map((stack) => `| ${stack.stackName} | ${stack.region} | ${stack.account} |`),
    '',
    '## Nag results by pack',
    '',
    '| pack | unacknowledged findings | acknowledgements |',
    '|---|--:|--:|',
    ...report.packs.map((pack) => `| ${pack.pack} | ${pack.unacknowledgedFindings} | ${pack.acknowledgements} |`),
    '',
    `## Gaps (${report.gaps.length})`,
    '',
    ...(report.gaps.length === 0 ? ['None.'] : report.gaps.map((gap) => `- ${gap}`)),
    '',
    '## Controls',
    '',
    ...report.controls.flatMap(renderControl),
    `## Findings outside the controls above (${report.otherFindings.length})`,
    '',
    ...(report.otherFindings.length === 0 ? ['None.'] : report.otherFindings.map(findingLine)),
    '',
    `## All acknowledgements (${report.acknowledgements.length})`,
    '',
    ...(report.acknowledgements.length === 0 ? ['None.'] : report.acknowledgements.map(acknowledgementLine)),
    '',
  ].join('\n');
}

/** Synthesizes a stage of cdk.json in process, offline, with the nag packs, as `cdk synth -c stage=<stage>` would. */
export function synthesizeStage(stage: string): { stacks: SynthesizedStack[]; findings: NagFinding[] } {
  const outdir = mkdtempSync(path.join(tmpdir(), 'dsc-compliance-'));
  try {
    // Function bundles only change asset hashes, which the report leaves out; CloudFormation's own checks are the synth's job.
    const app = new App({ outdir, builtinCloudFormationValidation: false, context: { ...cdkJson.context, stage, 'aws:cdk:bundling-stacks': [] } });
    createDscStacks(app, resolveStageConfig(stage, cdkJson.context.stages), undefined);
    nagPacks(app);
    const assembly = app.synth();
    const stacks = assembly.stacks.map((stack) => ({
      stackName: stack.stackName,
      region: stack.environment.region,
      account: stack.environment.account,
      template: stack.template as SynthesizedStack['template'],
    }));
    return { stacks, findings: nagFindings(app) };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

export function generateReport(): { markdown: string; json: string } {
  const { stacks, findings } = synthesizeStage(reportStage);
  const report = buildReport(reportStage, stacks, findings);
  return { markdown: renderMarkdown(report), json: `${JSON.stringify(report, null, 2)}\n` };
}

if (require.main === module) {
  const { markdown, json } = generateReport();
  mkdirSync(path.dirname(reportFiles.markdown), { recursive: true });
  writeFileSync(reportFiles.markdown, markdown);
  writeFileSync(reportFiles.json, json);
  console.log(`wrote ${path.relative(process.cwd(), reportFiles.markdown)} and ${path.relative(process.cwd(), reportFiles.json)}`);
}
