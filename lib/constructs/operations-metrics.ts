import { Duration } from 'aws-cdk-lib';
import type { RestApiBase } from 'aws-cdk-lib/aws-apigateway';
import { MathExpression, Metric, Stats, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { Operation, type ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { FilterPattern, MetricFilter, type ILogGroup } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { breakGlassAlertField } from '../../lambdas/contracts/access-headers';

/** Gateway response types that mean a refused token: none or an invalid one (401), or one without the scope (403). */
export const authenticationFailureTypes = ['UNAUTHORIZED', 'ACCESS_DENIED'] as const;

/** The access log field carrying `$context.error.responseType` (see accessLogFields in the API stack). */
export const errorTypeLogField = 'errorType';

export interface OperationsMetricsProps {
  /** DSC's own namespace (metric filters), one per stage. */
  readonly namespace: string;
  readonly api: RestApiBase;
  /** The API's JSON access log: authentication failures are counted from it. */
  readonly accessLogs: ILogGroup;
  readonly functions: Readonly<Record<string, IFunction>>;
  /** Log groups of the functions that journal accesses: break-glass alerts are counted from them. */
  readonly journalingLogGroups: readonly ILogGroup[];
  /** Functions fed by a table stream: how far behind they are matters. */
  readonly streamFunctions: Readonly<Record<string, IFunction>>;
  readonly tables: Readonly<Record<string, ITableV2>>;
  /** Where stream functions put the batches they gave up on. */
  readonly deadLetterQueues: Readonly<Record<string, IQueue>>;
  /** The web ACL's metric name (its `WebACL` dimension) and region. */
  readonly webAcl: { readonly metricName: string; readonly region: string };
}

export interface FunctionMetrics {
  readonly errors: IMetric;
  readonly throttles: IMetric;
  readonly durationP99: IMetric;
}

export interface TableMetrics {
  readonly throttleEvents: IMetric;
  readonly systemErrors: IMetric;
  readonly consumedRead: IMetric;
  readonly consumedWrite: IMetric;
}

const period = Duration.minutes(5);
/** The operations the functions call (functions.ts tableActions and the store's transactions). */
const operationsUsed = [Operation.GET_ITEM, Operation.BATCH_GET_ITEM, Operation.QUERY, Operation.PUT_ITEM, Operation.DELETE_ITEM, Operation.TRANSACT_WRITE_ITEMS];

/**
 * Every metric the operators' alarms and dashboard read, defined once so both show the same thing;
 * it adds the metric filters that turn log lines into metrics (break-glass, authentication failures).
 */
export class OperationsMetrics extends Construct {
  readonly api: { readonly requests: IMetric; readonly serverErrors: IMetric; readonly clientErrors: IMetric; readonly latencyP99: IMetric };
  readonly functions: Readonly<Record<string, FunctionMetrics>>;
  /** Age of the oldest stream record a stream function has yet to process. */
  readonly streamIteratorAge: Readonly<Record<string, IMetric>>;
  readonly tables: Readonly<Record<string, TableMetrics>>;
  readonly deadLetters: Readonly<Record<string, IMetric>>;
  readonly waf: { readonly blocked: IMetric; readonly allowed: IMetric };
  /** Break-glass overrides, per minute: each one is an alert. */
  readonly breakGlass: IMetric;
  readonly authenticationFailures: IMetric;

  constructor(scope: Construct, id: string, props: OperationsMetricsProps) {
    super(scope, id);
    const sum = { period, statistic: Stats.SUM };
    const own = (metricName: string, statisticPeriod = period) => new Metric({ namespace: props.namespace, metricName, period: statisticPeriod, statistic: Stats.SUM });
    const mapValues = <In, Out>(record: Readonly<Record<string, In>>, map: (value: In, name: string) => Out) =>
      Object.fromEntries(Object.entries(record).map(([name, value]) => [name, map(value, name)]));

    this.api = {
      requests: props.api.metricCount(sum),
      serverErrors: props.api.metricServerError(sum),
      clientErrors: props.api.metricClientError(sum),
      latencyP99: props.api.metricLatency({ period, statistic: Stats.p(99) }),
    };
    this.functions = mapValues(props.functions, (fn) => ({
      errors: fn.metricErrors(sum),
      throttles: fn.metricThrottles(sum),
      durationP99: fn.metricDuration({ period, statistic: Stats.p(99) }),
    }));
    this.streamIteratorAge = mapValues(props.streamFunctions, (fn) => fn.metric('IteratorAge', { period, statistic: Stats.MAXIMUM }));
    // Expression ids carry the table's name: the dashboard graphs both tables' expressions together.
    const total = (label: string, metrics: Record<string, IMetric>) => new MathExpression({ label, expression: Object.keys(metrics).join(' + '), usingMetrics: metrics, period });
    this.tables = mapValues(props.tables, (table, name) => ({
      throttleEvents: total(`${name} throttle events`, {
        [`${name}Reads`]: table.metric('ReadThrottleEvents', sum),
        [`${name}Writes`]: table.metric('WriteThrottleEvents', sum),
      }),
      systemErrors: total(
        `${name} system errors`,
        Object.fromEntries(operationsUsed.map((operation) => [`${name}${operation}`, table.metric('SystemErrors', { ...sum, dimensionsMap: { TableName: table.tableName, Operation: operation } })])),
      ),
      consumedRead: table.metricConsumedReadCapacityUnits(sum),
      consumedWrite: table.metricConsumedWriteCapacityUnits(sum),
    }));
    this.deadLetters = mapValues(props.deadLetterQueues, (queue) => queue.metricApproximateNumberOfMessagesVisible({ period, statistic: Stats.MAXIMUM }));
    const wafMetric = (metricName: string) =>
      new Metric({ namespace: 'AWS/WAFV2', metricName, dimensionsMap: { WebACL: props.webAcl.metricName, Region: props.webAcl.region, Rule: 'ALL' }, ...sum });
    this.waf = { blocked: wafMetric('BlockedRequests'), allowed: wafMetric('AllowedRequests') };

    // One alert line per override, logged by the functions that journal accesses (breakGlassAlertField).
    const [[alertField, alertValue]] = Object.entries(breakGlassAlertField) as [[string, string]];
    const breakGlassName = 'BreakGlassEvents';
    props.journalingLogGroups.forEach((logGroup, index) => {
      new MetricFilter(this, `BreakGlass${index}`, {
        logGroup,
        filterPattern: FilterPattern.stringValue(`$.${alertField}`, '=', alertValue),
        metricNamespace: props.namespace,
        metricName: breakGlassName,
        metricValue: '1',
      });
    });
    this.breakGlass = own(breakGlassName, Duration.minutes(1));

    // From the access log rather than API Gateway's 4XXError, which also counts every FHIR 400, 404, 409 and 422.
    const authenticationFailuresName = 'AuthenticationFailures';
    new MetricFilter(this, 'AuthenticationFailures', {
      logGroup: props.accessLogs,
      filterPattern: FilterPattern.any(...authenticationFailureTypes.map((type) => FilterPattern.stringValue(`$.${errorTypeLogField}`, '=', type))),
      metricNamespace: props.namespace,
      metricName: authenticationFailuresName,
      metricValue: '1',
    });
    this.authenticationFailures = own(authenticationFailuresName);
  }
}
