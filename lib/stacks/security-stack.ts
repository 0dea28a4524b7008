import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { ReadWriteType, Trail } from 'aws-cdk-lib/aws-cloudtrail';
import { AccountRootPrincipal, AnyPrincipal, PolicyDocument, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { AccessLogsBucket } from '../constructs/access-logs-bucket';
import { AlarmTopic } from '../constructs/alarm-topic';
import { CisAlarms } from '../constructs/cis-alarms';
import { replicateEvidence, type EvidenceReplicaRegion } from '../constructs/evidence-replication';
import { lockedBucketProps } from '../constructs/locked-bucket';
import { acknowledgeNagFinding } from '../nag/acknowledge';

/** Managing a key without using it: what the account keeps on the data key. */
export const keyAdministrationActions = [
  'kms:Create*',
  'kms:Describe*',
  'kms:Enable*',
  'kms:List*',
  'kms:Put*',
  'kms:Update*',
  'kms:Revoke*',
  'kms:Disable*',
  'kms:Get*',
  'kms:Delete*',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
] as const;

/** What the services holding the record do with the data key on a caller's behalf (CreateGrant: DynamoDB and Backup use grants). */
export const dataKeyUseActions = ['kms:Decrypt', 'kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey', 'kms:CreateGrant'] as const;
/** The only services through which the data key may be used. */
export const dataKeyServices = ['dynamodb', 's3', 'backup'] as const;

/** What CloudWatch Logs does with a log group's key: the grantEncryptDecrypt set it was given before. */
export const logsKeyActions = ['kms:Decrypt', 'kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'] as const;

export interface SecurityStackProps extends StackProps {
  /** COMPLIANCE on production stages (no one, root included, can shorten or lift it); GOVERNANCE elsewhere. */
  readonly trailObjectLockMode: 'COMPLIANCE' | 'GOVERNANCE';
  /** Years trail files stay under Object Lock (and their access logs are kept). */
  readonly auditRetentionYears: number;
  /** The operators' address, subscribed to the alarm topic. */
  readonly alarmEmail?: string;
  /** Where the trail bucket replicates (the replica stack, deployed first); none keeps it in one region (acknowledged). */
  readonly evidenceReplica?: EvidenceReplicaRegion;
}

/**
 * Keys and the account's audit trail. Stateful and long-lived: the data and API stacks
 * depend on it, never the other way round. Termination-protected: its keys decrypt the record.
 */
export class SecurityStack extends Stack {
  /** Encrypts the record and audit tables. */
  readonly dataKey: Key;
  /** Encrypts trail log files; the data stack's table data-event trail uses it too. */
  readonly trailKey: Key;
  /** Encrypts the API stack's log groups: functions, API access logs, WAF. */
  readonly logsKey: Key;
  /** Object-locked trail files; the data stack's table data-event trail writes here too. */
  readonly trailBucket: Bucket;
  readonly trail: Trail;
  /** Server access logs of the trail bucket (SSE-S3: S3 cannot log into a KMS-encrypted bucket). */
  readonly accessLogsBucket: Bucket;
  /** Where every alarm goes: CIS filters here, API, auth and break-glass alarms in their stacks. */
  readonly alarmTopic: ITopic;

  constructor(scope: Construct, id: string, props: SecurityStackProps) {
    super(scope, id, { ...props, terminationProtection: true });

    this.dataKey = new Key(this, 'DataKey', {
      description: 'DSC health record data (DynamoDB record and audit tables)',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
      policy: this.dataKeyPolicy(),
    });
    const trailKey = (this.trailKey = new Key(this, 'TrailKey', {
      description: 'DSC CloudTrail log files and trail log group',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    }));

    // CloudWatch Logs uses the logs key for log groups of this account and region only: the log group
    // ARN is the encryption context of every call it makes. The API stack's log group names are
    // generated, and a key policy cannot name them (the groups depend on the key), hence log-group:*.
    this.logsKey = new Key(this, 'LogsKey', {
      description: 'DSC API log groups (functions, API access logs, WAF)',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.logsKey.addToResourcePolicy(this.logsUseKey('CloudWatchLogsEncryptsLogGroups'));

    this.accessLogsBucket = new AccessLogsBucket(this, 'AccessLogs', { retentionYears: props.auditRetentionYears }).bucket;
    // Object Lock keeps trail files immutable for the audit retention. GOVERNANCE can still be bypassed
    // by a principal with s3:BypassGovernanceRetention; COMPLIANCE (production) by no one, root included.
    const trailBucket = (this.trailBucket = new Bucket(
      this,
      'TrailBucket',
      lockedBucketProps({
        encryptionKey: trailKey,
        lockMode: props.trailObjectLockMode,
        retentionYears: props.auditRetentionYears,
        accessLogsBucket: this.accessLogsBucket,
        accessLogsPrefix: 'trail-bucket/',
      }),
    ));
    replicateEvidence(trailBucket, trailKey, 'trail', props.evidenceReplica);

    const trailLogs = new LogGroup(this, 'TrailLogs', {
      retention: RetentionDays.ONE_YEAR,
      encryptionKey: trailKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // CloudTrail encrypts each log file with the trail key; the Trail construct does not grant it.
    const cloudTrail = new ServicePrincipal('cloudtrail.amazonaws.com');
    trailKey.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudTrailEncryptsLogFiles',
        principals: [cloudTrail],
        actions: ['kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': `arn:${this.partition}:cloudtrail:*:${this.account}:trail/*` } },
      }),
    );
    trailKey.addToResourcePolicy(new PolicyStatement({ sid: 'CloudTrailDescribesKey', principals: [cloudTrail], actions: ['kms:DescribeKey'], resources: ['*'] }));
    // CloudWatch Logs encrypts the trail's log group with the trail key, and no other log group
    // outside this account and region. Not narrowed to the trail group: its name is generated (naming
    // it now would replace the group), and a token would make the key depend on its own log group.
    trailKey.addToResourcePolicy(this.logsUseKey('CloudWatchLogsEncryptsTrailLogGroup'));

    this.trail = new Trail(this, 'Trail', {
      bucket: trailBucket,
      encryptionKey: trailKey,
      enableFileValidation: true,
      isMultiRegionTrail: true,
      includeGlobalServiceEvents: true,
      managementEvents: ReadWriteType.ALL,
      sendToCloudWatchLogs: true,
      cloudWatchLogGroup: trailLogs,
    });
    // The Trail construct's own role for CloudTrail to write the trail log group.
    const trailLogsPolicy = this.trail.node.findChild('LogsRole').node.findChild('DefaultPolicy');
    for (const pack of ['HIPAA.Security', 'NIST.800.53.R5']) {
      acknowledgeNagFinding(trailLogsPolicy, `${pack}-IAMNoInlinePolicy`, 'CloudTrail assumes this role only to create log streams and put events in the trail log group, the one resource the policy names');
    }

    this.alarmTopic = new AlarmTopic(this, 'Alarms', { email: props.alarmEmail }).topic;
    new CisAlarms(this, 'CisAlarms', { trailLogGroup: trailLogs, alarmTopic: this.alarmTopic });
  }

  /**
   * The data key's policy. The default would hand every use of the key to IAM (`kms:*` for the
   * account), so anyone with a broad IAM policy could decrypt the record directly. Here the account
   * keeps administration only, and cryptographic use is allowed solely through the services that
   * hold the record: DynamoDB (tables and their streams), S3 (the journal archive and its
   * replication) and AWS Backup. The function roles cannot be named: they live in the API stack,
   * which depends on this one; their own IAM policies narrow use further, per function.
   */
  private dataKeyPolicy(): PolicyDocument {
    const account = new AccountRootPrincipal();
    return new PolicyDocument({
      statements: [
        new PolicyStatement({ sid: 'AccountAdministersTheKey', principals: [account], actions: [...keyAdministrationActions], resources: ['*'] }),
        new PolicyStatement({
          sid: 'UseOnlyThroughTheRecordServices',
          principals: [new AnyPrincipal()],
          actions: [...dataKeyUseActions],
          resources: ['*'],
          conditions: {
            StringEquals: { 'kms:CallerAccount': this.account, 'kms:ViaService': dataKeyServices.map((service) => `${service}.${this.region}.amazonaws.com`) },
          },
        }),
      ],
    });
  }

  /**
   * The key policy statement letting CloudWatch Logs use a key for this account's log groups in this
   * region, as the CloudWatch Logs guide gives it (encryption context `aws:logs:arn`, ArnLike).
   */
  private logsUseKey(sid: string): PolicyStatement {
    return new PolicyStatement({
      sid,
      principals: [new ServicePrincipal(`logs.${this.region}.amazonaws.com`)],
      actions: [...logsKeyActions],
      resources: ['*'],
      conditions: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${this.partition}:logs:${this.region}:${this.account}:log-group:*` } },
    });
  }
}
