import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { FilterPattern, MetricFilter, type ILogGroup } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

export interface CisFilter {
  /** Construct id and metric name. */
  readonly id: string;
  /** The CIS AWS Foundations Benchmark recommendation (v1.4.0 numbering, section 4 "Monitoring"). */
  readonly cis: string;
  readonly description: string;
  /** CloudWatch Logs filter pattern on the trail's CloudTrail records, as the benchmark gives it. */
  readonly pattern: string;
  /** Matching events in 5 minutes that raise the alarm. */
  readonly threshold: number;
}

const anyEvent = (names: readonly string[]) => names.map((name) => `($.eventName = ${name})`).join(' || ');

/** The benchmark's metric filters on the account trail, one alarm each. */
export const cisFilters: readonly CisFilter[] = [
  {
    id: 'UnauthorizedApiCalls',
    cis: '4.1',
    description: 'API calls refused for lack of permission',
    pattern: '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }',
    // The console probes optional permissions and fails quietly (the benchmark's own caveat): a few refusals are normal.
    threshold: 5,
  },
  {
    id: 'ConsoleSignInWithoutMfa',
    cis: '4.2',
    description: 'Console sign-in by an IAM user without MFA',
    pattern: '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }',
    threshold: 1,
  },
  {
    id: 'RootAccountUse',
    cis: '4.3',
    description: 'The root user acted (not a service on its behalf)',
    pattern: '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }',
    threshold: 1,
  },
  {
    id: 'IamPolicyChanges',
    cis: '4.4',
    description: 'An IAM policy was created, changed, attached or detached',
    pattern: `{ ${anyEvent([
      'DeleteGroupPolicy', 'DeleteRolePolicy', 'DeleteUserPolicy', 'PutGroupPolicy', 'PutRolePolicy', 'PutUserPolicy',
      'CreatePolicy', 'DeletePolicy', 'CreatePolicyVersion', 'DeletePolicyVersion',
      'AttachRolePolicy', 'DetachRolePolicy', 'AttachUserPolicy', 'DetachUserPolicy', 'AttachGroupPolicy', 'DetachGroupPolicy',
    ])} }`,
    threshold: 1,
  },
  {
    id: 'CloudTrailChanges',
    cis: '4.5',
    description: 'A trail was created, changed, deleted, started or stopped',
    pattern: `{ ${anyEvent(['CreateTrail', 'UpdateTrail', 'DeleteTrail', 'StartLogging', 'StopLogging'])} }`,
    threshold: 1,
  },
  {
    id: 'KmsKeyDisabledOrScheduledForDeletion',
    cis: '4.7',
    description: 'A customer key was disabled or scheduled for deletion',
    pattern: `{ ($.eventSource = kms.amazonaws.com) && (${anyEvent(['DisableKey', 'ScheduleKeyDeletion'])}) }`,
    threshold: 1,
  },
  {
    id: 'S3BucketPolicyChanges',
    cis: '4.8',
    description: 'A bucket policy, ACL, CORS, lifecycle or replication setting changed',
    pattern: `{ ($.eventSource = s3.amazonaws.com) && (${anyEvent([
      'PutBucketAcl', 'PutBucketPolicy', 'PutBucketCors', 'PutBucketLifecycle', 'PutBucketReplication',
      'DeleteBucketPolicy', 'DeleteBucketCors', 'DeleteBucketLifecycle', 'DeleteBucketReplication',
    ])}) }`,
    threshold: 1,
  },
  {
    id: 'SecurityGroupChanges',
    cis: '4.10',
    description: 'A security group was created, changed or deleted',
    pattern: `{ ${anyEvent([
      'AuthorizeSecurityGroupIngress', 'AuthorizeSecurityGroupEgress', 'RevokeSecurityGroupIngress', 'RevokeSecurityGroupEgress',
      'CreateSecurityGroup', 'DeleteSecurityGroup',
    ])} }`,
    threshold: 1,
  },
  {
    id: 'NetworkAclChanges',
    cis: '4.11',
    description: 'A network ACL or one of its entries was created, changed or deleted',
    pattern: `{ ${anyEvent(['CreateNetworkAcl', 'CreateNetworkAclEntry', 'DeleteNetworkAcl', 'DeleteNetworkAclEntry', 'ReplaceNetworkAclEntry', 'ReplaceNetworkAclAssociation'])} }`,
    threshold: 1,
  },
];

/** Metrics of the filters; one namespace groups them in the console. */
export const cisMetricNamespace = 'DSC/CISBenchmark';

export interface CisAlarmsProps {
  /** The account trail's log group (a multi-region trail: every region's events land here). */
  readonly trailLogGroup: ILogGroup;
  readonly alarmTopic: ITopic;
}

/** CIS AWS Foundations Benchmark section 4: a metric filter on the trail and an alarm to the operators, per recommendation. */
export class CisAlarms extends Construct {
  constructor(scope: Construct, id: string, props: CisAlarmsProps) {
    super(scope, id);
    const notify = new SnsAction(props.alarmTopic);
    for (const filter of cisFilters) {
      const metricFilter = new MetricFilter(this, `${filter.id}Filter`, {
        logGroup: props.trailLogGroup,
        filterPattern: FilterPattern.literal(filter.pattern),
        metricNamespace: cisMetricNamespace,
        metricName: filter.id,
        metricValue: '1',
      });
      const alarm = new Alarm(this, `${filter.id}Alarm`, {
        alarmDescription: `CIS ${filter.cis}: ${filter.description}. See docs/compliance-controls.md.`,
        metric: metricFilter.metric({ statistic: 'Sum', period: Duration.minutes(5) }),
        threshold: filter.threshold,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        // No matching event means no data point: quiet, not unknown.
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(notify);
    }
  }
}
