import { Alarm, ComparisonOperator, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { OperationsMetrics } from './operations-metrics';

export interface ApiAlarmsProps {
  readonly metrics: OperationsMetrics;
  /** The operators' topic (security stack): KMS-encrypted, email subscription from config. */
  readonly topic: ITopic;
}

/** One alarm: what it watches, when it fires, and what it means to the operator who receives it. */
export interface AlarmDefinition {
  readonly id: string;
  readonly description: string;
  readonly metric: IMetric;
  /** Fires at this value or above. */
  readonly threshold: number;
  /** Consecutive periods at or above the threshold; one unless a single spike is expected noise. */
  readonly periods?: number;
}

/** The alarm list, as data: the thresholds and their reasons in one place (docs/api-protection.md lists them). */
export function alarmDefinitions(metrics: OperationsMetrics): AlarmDefinition[] {
  const perName = <T>(record: Readonly<Record<string, T>>, define: (name: string, value: T) => AlarmDefinition[]) =>
    Object.entries(record).flatMap(([name, value]) => define(name, value));
  return [
    // The functions answer their own faults with a 5xx OperationOutcome: a few in five minutes is an incident, one is not.
    { id: 'ApiServerErrors', description: 'API 5xx answers: 5 or more in 5 minutes', metric: metrics.api.serverErrors, threshold: 5 },
    // A FHIR read is one Query; 3 s at p99 for 15 minutes means a cold, throttled or failing dependency.
    { id: 'ApiLatencyP99', description: 'API p99 latency of 3 s or more for 15 minutes', metric: metrics.api.latencyP99, threshold: 3000, periods: 3 },
    ...perName(metrics.functions, (name, fn) => [
      // Errors count crashes and timeouts only (handled faults are answers): every one is a defect.
      { id: `${name}Errors`, description: `Function ${name}: any crash or timeout`, metric: fn.errors, threshold: 1 },
      // Throttles mean the reserved concurrency (or the account's) is exhausted: clients get errors.
      { id: `${name}Throttles`, description: `Function ${name}: any throttled invocation`, metric: fn.throttles, threshold: 1 },
    ]),
    // The index lags the record: searches miss recent writes (reads and the compartment stay consistent).
    ...perName(metrics.streamIteratorAge, (name, age) => [
      { id: `${name}IteratorAge`, description: `Function ${name}: oldest unprocessed stream record 5 minutes old or more`, metric: age, threshold: 300_000 },
    ]),
    // A batch given up after every retry: those versions have no search index entries until replayed (runbook).
    ...perName(metrics.deadLetters, (name, visible) => [
      { id: `${name}DeadLetters`, description: `Function ${name}: stream batches given up, waiting in its dead-letter queue`, metric: visible, threshold: 1 },
    ]),
    ...perName(metrics.tables, (name, table) => [
      // On demand, throttling means a hot partition or the table's throughput ceiling; the SDK retries, clients slow down.
      { id: `${name}TableThrottles`, description: `Table ${name}: 5 or more throttle events in 5 minutes`, metric: table.throttleEvents, threshold: 5 },
      { id: `${name}TableSystemErrors`, description: `Table ${name}: any DynamoDB internal error`, metric: table.systemErrors, threshold: 1 },
    ]),
    // Background scanning blocks a handful an hour; 100 in 5 minutes is someone probing or flooding.
    { id: 'WafBlockSpike', description: 'WAF: 100 or more blocked requests in 5 minutes', metric: metrics.waf.blocked, threshold: 100 },
    // Clients renew tokens before they expire: 50 refusals in 5 minutes is credential stuffing or a broken client.
    { id: 'AuthenticationFailureSpike', description: 'Gateway 401/403 token refusals: 50 or more in 5 minutes', metric: metrics.authenticationFailures, threshold: 50 },
    // LRSSS: a restriction overridden in an emergency is allowed, journaled, and must reach a person at once.
    { id: 'BreakGlass', description: 'Break-glass: a clinician overrode a patient restriction (see the access journal)', metric: metrics.breakGlass, threshold: 1 },
  ];
}

/** The operators' alarms, each sent to the alarm topic when it fires and when it clears. */
export class ApiAlarms extends Construct {
  readonly alarms: Alarm[];

  constructor(scope: Construct, id: string, props: ApiAlarmsProps) {
    super(scope, id);
    const action = new SnsAction(props.topic);
    this.alarms = alarmDefinitions(props.metrics).map((definition) => {
      const alarm = new Alarm(this, definition.id, {
        alarmDescription: definition.description,
        metric: definition.metric,
        threshold: definition.threshold,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: definition.periods ?? 1,
        // No traffic, no records, no overrides: nothing to report.
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
      return alarm;
    });
  }
}
