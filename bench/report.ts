import type { InteractionCost } from './capacity';
import type { ColdStartFigures } from './cold-start';
import type { CostFigures } from './cost-model';
import type { LagFigure } from './index-lag';
import type { LatencyCell, RawFigure } from './latency';
import type { PeerFigures } from './peer-fwoa';
import type { ScalePoint } from './scaling';
import { present, round } from './stats';

/** A target the bench reports on; a miss is printed, never fatal (the bench is not a CI gate). */
export interface Budget {
  readonly name: string;
  readonly measured: number;
  readonly limit: number;
  /** Met when measured ≤ limit, or ≥ limit for a floor (a rate). */
  readonly floor?: boolean;
}

export interface BudgetResult extends Budget {
  /** measured / limit (1 = exactly at the budget); null when the limit is 0. */
  readonly ratio: number | null;
  readonly met: boolean;
}

export function evaluate(budgets: readonly Budget[]): BudgetResult[] {
  return budgets.map((budget) => ({
    ...budget,
    ratio: budget.limit === 0 ? null : budget.measured / budget.limit,
    met: Number.isFinite(budget.measured) && (budget.floor ? budget.measured >= budget.limit : budget.measured <= budget.limit),
  }));
}

export interface MemoryFigures {
  /** RSS of the bench process before the stack booted. */
  readonly benchOnlyRssMb: number;
  /** RSS of the process hosting the gateway and the function workers, after the latency figures. */
  readonly handlerProcessRssMb: number;
  readonly endRssMb: number;
}

export interface SeedFigure {
  readonly observations: number;
  readonly resources: number;
  readonly items: number;
  readonly seconds: number;
}

/** The bulk loader's rate on Synthea bundles (bench/load-rate.ts). */
export interface LoadFigures {
  readonly files: number;
  readonly resources: number;
  readonly seconds: number;
  readonly perSecond: number;
}

/** Every figure of a run; the optional ones belong to sections a run may skip. */
export interface Figures {
  coldStart?: ColdStartFigures;
  latency: readonly LatencyCell[];
  raw: readonly RawFigure[];
  memory: MemoryFigures;
  capacity: readonly InteractionCost[];
  seeding: readonly SeedFigure[];
  scaling: readonly ScalePoint[];
  lag: readonly LagFigure[];
  peer?: PeerFigures;
  load?: LoadFigures;
  cost?: CostFigures;
  /** Why a section has no figures (e.g. no Synthea data on this machine). */
  notes: string[];
  /** The sections whose modules write their own Markdown (cold start, peer, cost). */
  rendered: { coldStart?: string; peer?: string; cost?: string };
}

export interface Report extends Figures {
  readonly budgets: readonly BudgetResult[];
}

const n = (value: number, digits = 1) => (Number.isFinite(value) ? String(round(value, digits)) : '—');
const ms = (value: number) => (Number.isFinite(value) ? `${round(value, 1)} ms` : '—');
/** GitHub's tables split cells at every `|`, code spans included, unless it is escaped. */
const cell = (text: string) => text.replace(/\|/g, '\\|');
const table = (head: readonly string[], rows: readonly (readonly string[])[]) =>
  [`| ${head.map(cell).join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`)].join('\n');
const share = (part: number, whole: number) => (whole > 0 ? `${Math.round((100 * part) / whole)} %` : '—');
const commands = (byCommand: Record<string, number>) =>
  Object.entries(byCommand)
    .map(([command, count]) => `${count} ${command}`)
    .join(' + ');

/** The journal's share of a new Observation's whole write cost, the index processor's included. */
function withIndexing(capacity: readonly InteractionCost[]): string {
  const create = capacity.find((row) => row.interaction === 'create (Observation)');
  const indexing = capacity.find((row) => row.interaction === 'index processor, new Observation');
  if (!create || !indexing) return '';
  const whole = create.wcu + indexing.wcu;
  return ` Counting the index processor's writes, a new Observation costs ${n(whole)} WCU, of which the journal is ${n(create.auditWcu)} (${share(create.auditWcu, whole)}).`;
}

const latencySection = (latency: readonly LatencyCell[], raw: readonly RawFigure[]): string[] => {
  if (latency.length === 0) return [];
  return [
    '### Latency and throughput through the local gateway',
    table(
      ['operation', 'concurrency', 'p50', 'p95', 'p99', 'requests/s'],
      latency.map((cell) => [cell.operation, String(cell.concurrency), ms(cell.latency.p50), ms(cell.latency.p95), ms(cell.latency.p99), n(cell.perSecond, 0)]),
    ),
    '### Our overhead: the same DynamoDB requests, raw, alternating with the gateway',
    table(
      ['operation', 'DynamoDB requests it sends', 'raw, back to back: p50', 'p95', 'slowest single call p50', 'gateway p50 (alternating)', 'gateway p95', 'gateway / raw requests', 'gateway / one call'],
      raw.map((figure) => [
        figure.operation,
        `${figure.calls.length} (${figure.calls.join(', ')})`,
        ms(figure.sequence.p50),
        ms(figure.sequence.p95),
        `${ms(figure.slowestCall.latency.p50)} (${figure.slowestCall.command})`,
        ms(figure.gateway.p50),
        ms(figure.gateway.p95),
        `${n(figure.gateway.p50 / figure.sequence.p50, 2)}×`,
        `${n(figure.gateway.p50 / figure.slowestCall.latency.p50, 2)}×`,
      ]),
    ),
  ];
};

const capacitySection = (capacity: readonly InteractionCost[]): string[] => {
  if (capacity.length === 0) return [];
  const requests = capacity.filter((row) => !row.interaction.startsWith('index'));
  const totalWcu = requests.reduce((sum, row) => sum + row.wcu, 0);
  const totalAudit = requests.reduce((sum, row) => sum + row.auditWcu, 0);
  return [
    '### Capacity and DynamoDB requests per interaction (in-process, metered client)',
    table(
      ['interaction', 'request', 'RCU', 'WCU', 'WCU by the billing rule', 'record WCU', 'journal WCU', 'journal share', 'DynamoDB requests'],
      capacity.map((row) => [
        row.interaction,
        `\`${row.request}\`${row.results === undefined ? '' : ` (${row.results} result${row.results === 1 ? '' : 's'})`}`,
        n(row.rcu),
        n(row.wcu),
        row.billedWcu === row.wcu ? n(row.billedWcu) : `**${n(row.billedWcu)}**`,
        n(row.recordWcu),
        n(row.auditWcu),
        share(row.auditWcu, row.wcu),
        `${row.requests} (${commands(row.byCommand)})`,
      ]),
    ),
    `The journal's share of the WCU over the interactions above (the index processor's rows aside): ${share(totalAudit, totalWcu)} (${n(totalAudit)} of ${n(totalWcu)} WCU).${withIndexing(capacity)}`,
  ];
};

const scalingSection = (scaling: readonly ScalePoint[], seeding: Figures['seeding']): string[] => {
  const scales = [...new Set(scaling.map((point) => point.observations))];
  const first = scales[0];
  if (first === undefined) return [];
  const sections = [
    `### Scaling: the same requests as the record grows (${scales.map((scale) => `N = ${scale.toLocaleString('en')}`).join(', ')} Observations)`,
    table(
      ['seeded up to N', 'resources written', 'items written', 'seconds', 'resources/s', 'items/s'],
      seeding.map((step) => [step.observations.toLocaleString('en'), step.resources.toLocaleString('en'), step.items.toLocaleString('en'), n(step.seconds, 0), n(step.resources / step.seconds, 0), n(step.items / step.seconds, 0)]),
    ),
    table(
      ['query', 'N', 'p50', 'p95', 'RCU / request', 'WCU / request (journal)', 'DynamoDB requests', 'results'],
      scaling.map((point) => [
        `${point.query} (\`${point.example}\`)`,
        point.observations.toLocaleString('en'),
        ms(point.latency.p50),
        ms(point.latency.p95),
        `${n(point.rcu)} (max ${n(point.rcuMax)})`,
        `${n(point.wcu)} (${n(point.auditWcu)})`,
        n(point.requests),
        n(point.results),
      ]),
    ),
  ];
  if (scales.length > 1) {
    sections.push(
      table(
        ['query', 'N / first N', 'p50 ratio', 'p95 ratio', 'RCU ratio', 'results ratio'],
        scaling
          .filter((point) => point.observations !== first)
          .map((point) => {
            const base = present(scaling.find((candidate) => candidate.query === point.query && candidate.observations === first), `${point.query} at N=${first}`);
            return [point.query, `${point.observations.toLocaleString('en')} / ${first.toLocaleString('en')}`, n(point.latency.p50 / base.latency.p50, 2), n(point.latency.p95 / base.latency.p95, 2), n(point.rcu / base.rcu, 2), n(point.results / base.results, 2)];
          }),
      ),
    );
  }
  return sections;
};

const lagSection = (lag: readonly LagFigure[]): string[] => {
  if (lag.length === 0) return [];
  return [
    '### Index lag: from a create’s response to the first search that finds it (through the API)',
    table(
      ['parameter', 'documented as', 'samples', 'found by the first search', 'lag p50', 'lag p95', 'lag max', 'not found in time'],
      lag.map((figure) => {
        const immediate = figure.foundAtFirstSearch === figure.samples;
        // Found by the very first search: no lag; the time shown is that search's own latency.
        const time = (value: number) => (immediate ? `0 (first search ${ms(value)})` : ms(value));
        return [figure.param, figure.consistency, String(figure.samples), `${figure.foundAtFirstSearch}/${figure.samples}`, time(figure.lag.p50), time(figure.lag.p95), time(figure.lag.max), String(figure.timeouts)];
      }),
    ),
  ];
};

export function markdown(report: Report, heading: string): string {
  const sections: string[] = [heading];
  if (report.rendered.coldStart) sections.push(report.rendered.coldStart);
  sections.push(...latencySection(report.latency, report.raw));
  if (Number.isFinite(report.memory.handlerProcessRssMb)) {
    sections.push(
      `Handler process RSS (the gateway and the function workers, each its own V8 isolate, in the bench's process): ${Math.round(report.memory.handlerProcessRssMb)} MB after the latency figures, of which ${Math.round(report.memory.benchOnlyRssMb)} MB is the bench process before the stack booted; ${Math.round(report.memory.endRssMb)} MB at the end.`,
    );
  }
  sections.push(...capacitySection(report.capacity), ...scalingSection(report.scaling, report.seeding), ...lagSection(report.lag));
  if (report.rendered.peer) sections.push('### Side by side with FHIR Works on AWS (same DynamoDB Local)', report.rendered.peer);
  if (report.load) {
    const { files, resources, seconds, perSecond } = report.load;
    sections.push('### Bulk loader', `${resources.toLocaleString('en')} resources from ${files} Synthea bundles in ${n(seconds)} s: **${n(perSecond, 0)} resources/s** through the loader.`);
  }
  if (report.rendered.cost) sections.push(report.rendered.cost);
  if (report.notes.length > 0) sections.push('### Notes', report.notes.map((note) => `- ${note}`).join('\n'));
  sections.push(
    '### Budgets (reported, never fatal)',
    table(
      ['budget', 'measured', 'budget', 'ratio', ''],
      report.budgets.map((budget) => [budget.name, n(budget.measured, 2), `${budget.floor ? '≥' : '≤'} ${budget.limit}`, budget.ratio === null ? '—' : n(budget.ratio, 2), budget.met ? 'met' : '**missed**']),
    ),
    `${report.budgets.filter((budget) => budget.met).length} of ${report.budgets.length} budgets met.`,
  );
  return `${sections.join('\n\n')}\n`;
}

/** The issue's budgets, plus the bench's earlier targets, from whichever figures the run has. */
export function budgetsOf(figures: Figures): Budget[] {
  const budgets: Budget[] = [];
  const interaction = (name: string) => figures.capacity.find((row) => row.interaction === name);
  const cell = (operation: string, concurrency: number) => figures.latency.find((entry) => entry.operation === operation && entry.concurrency === concurrency);
  if (figures.coldStart) budgets.push(...figures.coldStart.budgets);

  const read = interaction('read');
  const create = interaction('create');
  if (read && create) {
    // The journal's PutItem is the budget's "plus the journal write".
    budgets.push(
      { name: 'read: DynamoDB requests (journal aside)', measured: read.requests - (read.byCommand.PutItem ?? 0), limit: 1 },
      { name: 'read RCU', measured: read.rcu, limit: 1 },
      { name: 'read WCU (the journal entry)', measured: read.wcu, limit: 2 },
      { name: 'create: DynamoDB requests (one TransactWriteItems, journal inside)', measured: create.requests, limit: 1 },
      { name: 'create RCU', measured: create.rcu, limit: 0 },
      { name: 'create WCU', measured: create.wcu, limit: 6 },
    );
  }
  const readCell = cell('read', 1);
  const rawRead = figures.raw.find((figure) => figure.operation === 'read');
  if (rawRead) {
    budgets.push(
      { name: 'gateway read p50 / raw DynamoDB Local p50 of the same requests', measured: rawRead.gateway.p50 / rawRead.sequence.p50, limit: 1.5 },
      { name: 'gateway read p50 / one raw DynamoDB Local call p50', measured: rawRead.gateway.p50 / rawRead.slowestCall.latency.p50, limit: 1.5 },
    );
  }
  const createCell = cell('create', 1);
  if (createCell) budgets.push({ name: 'create p95 (ms), concurrency 1', measured: createCell.latency.p95, limit: 100 });
  if (readCell) budgets.push({ name: 'read p95 (ms), concurrency 1', measured: readCell.latency.p95, limit: 50 });
  if (Number.isFinite(figures.memory.handlerProcessRssMb)) budgets.push({ name: 'handler process RSS (MB)', measured: figures.memory.handlerProcessRssMb, limit: 400 });

  const scales = [...new Set(figures.scaling.map((point) => point.observations))];
  const [first, last] = [scales[0], scales.at(-1)];
  if (first !== undefined && last !== undefined && last !== first) {
    for (const query of new Set(figures.scaling.map((point) => point.query))) {
      const a = present(figures.scaling.find((point) => point.query === query && point.observations === first), `${query} at N=${first}`);
      const b = present(figures.scaling.find((point) => point.query === query && point.observations === last), `${query} at N=${last}`);
      budgets.push({ name: `${query}: RCU per request, N=${last} / N=${first}`, measured: b.rcu / a.rcu, limit: 1.1 });
      budgets.push({ name: `${query}: p50, N=${last} / N=${first}`, measured: b.latency.p50 / a.latency.p50, limit: 1.5 });
      budgets.push({ name: `${query}: p95, N=${last} / N=${first}`, measured: b.latency.p95 / a.latency.p95, limit: 2 });
    }
  }
  for (const figure of figures.lag.filter((entry) => entry.consistency === 'eventual')) {
    budgets.push({ name: `index lag p95 (ms), ${figure.param}`, measured: figure.timeouts > 0 ? Number.POSITIVE_INFINITY : figure.lag.p95, limit: 1000 });
  }
  for (const figure of figures.lag.filter((entry) => entry.consistency === 'read-your-writes')) {
    budgets.push({ name: `read-your-writes, ${figure.param}: creates the first search missed`, measured: figure.samples - figure.foundAtFirstSearch, limit: 0 });
  }
  if (figures.load) budgets.push({ name: 'bulk loader (resources/s)', measured: figures.load.perSecond, limit: 200, floor: true });
  return budgets;
}
