import { Dashboard, GraphWidget, SingleValueWidget, TextWidget, type IMetric, type IWidget } from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import type { OperationsMetrics } from './operations-metrics';

export interface OperationsDashboardProps {
  readonly metrics: OperationsMetrics;
  /** Shown in the title, so operators of several stages know which one they are looking at. */
  readonly stage: string;
}

const width = 8;
const height = 6;

function graph(title: string, left: IMetric[], right: IMetric[] = []): GraphWidget {
  return new GraphWidget({ title, left, right, width, height });
}

/** One dashboard for operators: the API, its functions, the tables, the WAF and break-glass, in that order. */
export class OperationsDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: OperationsDashboardProps) {
    super(scope, id);
    const { metrics } = props;
    const functions = Object.entries(metrics.functions);
    const tables = Object.entries(metrics.tables);
    const rows: IWidget[][] = [
      [new TextWidget({ markdown: `# DSC ${props.stage}: FHIR API operations\nAlarms go to the operators' topic; runbook: docs/runbook.md.`, width: 24, height: 2 })],
      [
        graph('API requests and errors', [metrics.api.requests], [metrics.api.clientErrors, metrics.api.serverErrors]),
        graph('API latency p99 (ms)', [metrics.api.latencyP99]),
        new SingleValueWidget({ title: 'Break-glass overrides', metrics: [metrics.breakGlass], width, height, setPeriodToTimeRange: true }),
      ],
      [
        graph('Function errors', functions.map(([, fn]) => fn.errors)),
        graph('Function throttles', functions.map(([, fn]) => fn.throttles)),
        graph('Function duration p99 (ms)', functions.map(([, fn]) => fn.durationP99)),
      ],
      [
        graph('Table consumed capacity (RCU left, WCU right)', tables.map(([, table]) => table.consumedRead), tables.map(([, table]) => table.consumedWrite)),
        graph('Table throttles and system errors', tables.map(([, table]) => table.throttleEvents), tables.map(([, table]) => table.systemErrors)),
        graph('Search index lag (ms) and dead letters', Object.values(metrics.streamIteratorAge), Object.values(metrics.deadLetters)),
      ],
      [
        graph('WAF allowed and blocked requests', [metrics.waf.allowed], [metrics.waf.blocked]),
        graph('Authentication failures (gateway 401/403)', [metrics.authenticationFailures]),
      ],
    ];
    this.dashboard = new Dashboard(this, 'Dashboard', { widgets: rows });
  }
}
