import type { InteractionCost } from './capacity';
import type { LagFigure } from './index-lag';
import type { ScalePoint } from './scaling';
import { present, round, type Summary } from './stats';

/** A target the bench reports on; a miss is printed, never fatal (the bench is not a CI gate). */
export interface Budget {
  readonly name: string;
  readonly measured: number;
  /** Met when measured ≤ limit. */
  readonly limit: number;
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
    met: Number.isFinite(budget.measured) && budget.measured <= budget.limit,
  }));
}

export interface LatencyFigures {
  readonly create: Summary;
  /** POST /Patient sent with the index processor idle. */
  readonly createIdle: Summary;
  readonly read: Summary;
  readonly concurrent: Summary;
  readonly concurrency: number;
  readonly readsPerSecond: number;
}

export interface MemoryFigures {
  /** RSS of the process hosting the gateway and the function workers, after the latency figures. */
  readonly handlerProcessRssMb: number;
  /** RSS of the bench process before the stack booted. */
  readonly benchOnlyRssMb: number;
  readonly endRssMb: number;
}

export interface Report {
  readonly latency: LatencyFigures;
  readonly memory: MemoryFigures;
  readonly capacity: readonly InteractionCost[];
  readonly scaling: readonly ScalePoint[];
  readonly lag: readonly LagFigure[];
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

export function markdown(report: Report, heading: string): string {
  const { latency, memory, capacity, scaling, lag, budgets } = report;
  const scales = [...new Set(scaling.map((point) => point.observations))];
  const [first, last] = [scales[0], scales.at(-1)];
  const sections: string[] = [heading];

  sections.push(
    '### Latency through the local API (POST/GET Patient)',
    table(
      ['operation', 'p50', 'p95', 'p99', 'max'],
      [
        ['`POST /Patient`', ms(latency.create.p50), ms(latency.create.p95), ms(latency.create.p99), ms(latency.create.max)],
        ['`POST /Patient`, index processor idle', ms(latency.createIdle.p50), ms(latency.createIdle.p95), ms(latency.createIdle.p99), ms(latency.createIdle.max)],
        ['`GET /Patient/{id}`', ms(latency.read.p50), ms(latency.read.p95), ms(latency.read.p99), ms(latency.read.max)],
        [`\`GET /Patient/{id}\` ×${latency.concurrency} concurrent`, ms(latency.concurrent.p50), ms(latency.concurrent.p95), ms(latency.concurrent.p99), ms(latency.concurrent.max)],
      ],
    ),
    `Concurrent reads: ${Math.round(latency.readsPerSecond)} requests/s. Handler process RSS (the gateway and the function workers, each its own V8 isolate, in the bench's process): ${Math.round(memory.handlerProcessRssMb)} MB after the latency figures, of which ${Math.round(memory.benchOnlyRssMb)} MB is the bench process before the stack booted; ${Math.round(memory.endRssMb)} MB at the end (with the bench's in-process seeder and services).`,
  );

  const totalWcu = capacity.filter((row) => !row.interaction.startsWith('index')).reduce((sum, row) => sum + row.wcu, 0);
  const totalAudit = capacity.filter((row) => !row.interaction.startsWith('index')).reduce((sum, row) => sum + row.auditWcu, 0);
  sections.push(
    '### Capacity and DynamoDB requests per interaction (in-process, metered client)',
    table(
      ['interaction', 'request', 'RCU', 'WCU', 'record WCU', 'journal WCU', 'journal share', 'DynamoDB requests'],
      capacity.map((row) => [
        row.interaction,
        `\`${row.request}\`${row.results === undefined ? '' : ` (${row.results} result${row.results === 1 ? '' : 's'})`}`,
        n(row.rcu),
        n(row.wcu),
        n(row.recordWcu),
        n(row.auditWcu),
        share(row.auditWcu, row.wcu),
        `${row.requests} (${commands(row.byCommand)})`,
      ]),
    ),
    `The journal's share of the WCU over the interactions above (the index processor's rows aside): ${share(totalAudit, totalWcu)} (${n(totalAudit)} of ${n(totalWcu)} WCU).${withIndexing(capacity)}`,
  );

  if (scales.length > 0) {
    sections.push(
      `### Scaling: the same requests as the record grows (${scales.map((scale) => `N = ${scale.toLocaleString('en')}`).join(', ')} Observations)`,
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
    );
    if (first !== undefined && last !== undefined && first !== last) {
      sections.push(
        table(
          ['query', `p50 ratio ${last}/${first}`, `p95 ratio ${last}/${first}`, `RCU ratio ${last}/${first}`],
          [...new Set(scaling.map((point) => point.query))].map((query) => {
            const a = present(scaling.find((point) => point.query === query && point.observations === first), `${query} at N=${first}`);
            const b = present(scaling.find((point) => point.query === query && point.observations === last), `${query} at N=${last}`);
            return [query, n(b.latency.p50 / a.latency.p50, 2), n(b.latency.p95 / a.latency.p95, 2), n(b.rcu / a.rcu, 2)];
          }),
        ),
      );
    }
  }

  if (lag.length > 0) {
    sections.push(
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
    );
  }

  sections.push(
    '### Budgets (reported, never fatal)',
    table(
      ['budget', 'measured', 'budget', 'ratio', ''],
      budgets.map((budget) => [budget.name, n(budget.measured, 2), `≤ ${budget.limit}`, budget.ratio === null ? '—' : n(budget.ratio, 2), budget.met ? 'met' : '**missed**']),
    ),
    `${budgets.filter((budget) => budget.met).length} of ${budgets.length} budgets met.`,
  );
  return `${sections.join('\n\n')}\n`;
}
