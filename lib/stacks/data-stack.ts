import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { CfnTrail } from 'aws-cdk-lib/aws-cloudtrail';
import type { TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { AccountRootPrincipal, AnyPrincipal, Effect, PolicyDocument, PolicyStatement, Role } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { tables, type TableName } from '../../lambdas/contracts/tables';
import { attachmentsBucket } from '../../lambdas/contracts/buckets';
import { AccessLogsBucket } from '../constructs/access-logs-bucket';
import { AttachmentsBucket } from '../constructs/attachments-bucket';
import type { EvidenceReplicaRegion } from '../constructs/evidence-replication';
import { JournalArchive } from '../constructs/journal-archive';
import { RecordTable } from '../constructs/record-table';
import { TableBackups } from '../constructs/table-backups';
import { acknowledgeNagFinding } from '../nag/acknowledge';

export interface DataStackProps extends StackProps {
  readonly dataKey: IKey;
  /** The security stack's object-locked trail bucket and its key, for the tables' data-event trail. */
  readonly trailBucket: IBucket;
  readonly trailKey: IKey;
  /** A production stage: the backup vault lock becomes immutable (compliance mode). */
  readonly production: boolean;
  /** Years the journal archive keeps each object under COMPLIANCE Object Lock. */
  readonly auditRetentionYears: number;
  readonly backup: { readonly dailyRetentionDays: number; readonly monthlyRetentionDays: number };
  /** Where the journal archive replicates (the replica stack, deployed first); none keeps it in one region (acknowledged). */
  readonly evidenceReplica?: EvidenceReplicaRegion;
}

/**
 * What the audit journal refuses to everyone but the break-glass role: changing or deleting an
 * entry, and reading it wholesale. Appends are PutItem (tableActions.append); TransactWriteItems
 * is authorized per item action, so it is covered by UpdateItem and DeleteItem.
 */
export const auditTableDeniedActions = [
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:Scan',
  'dynamodb:PartiQLUpdate',
  'dynamodb:PartiQLDelete',
  'dynamodb:PartiQLSelect',
] as const;

/** The health record itself. Termination-protected; every table is retained if the stack is deleted. */
export class DataStack extends Stack {
  readonly tables: Record<TableName, TableV2>;
  /** The only principal the audit table lets alter, delete or scan entries. */
  readonly auditBreakGlassRole: Role;
  /** Every change of the journal, in an Object-Locked bucket; the API stack wires its archiver function. */
  readonly journalArchive: JournalArchive;
  readonly backups: TableBackups;
  /** Binary content; the API stack grants the functions what their `bucketAccess` declares. */
  readonly attachments: AttachmentsBucket;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, { ...props, terminationProtection: true });

    // Assumable by the account's own principals, with MFA, and nothing attached: whoever breaks the
    // glass is granted what the incident needs at that time, and both steps land in the trail.
    this.auditBreakGlassRole = new Role(this, 'AuditBreakGlassRole', {
      description: 'Break-glass for the audit journal: the only principal its resource policy lets update, delete or scan entries. No permissions attached.',
      assumedBy: new AccountRootPrincipal().withConditions({ Bool: { 'aws:MultiFactorAuthPresent': 'true' } }),
      maxSessionDuration: Duration.hours(1),
    });
    // Resource '*' is the table itself: a table's policy cannot name its own generated ARN.
    const auditPolicy = new PolicyDocument({
      statements: [
        new PolicyStatement({
          sid: 'AuditJournalIsAppendOnly',
          effect: Effect.DENY,
          principals: [new AnyPrincipal()],
          actions: [...auditTableDeniedActions],
          resources: ['*'],
          conditions: { ArnNotEquals: { 'aws:PrincipalArn': this.auditBreakGlassRole.roleArn } },
        }),
      ],
    });

    const build = (name: TableName, resourcePolicy?: PolicyDocument) =>
      new RecordTable(this, tables[name].id, { definition: tables[name], encryptionKey: props.dataKey, resourcePolicy }).table;
    this.tables = { record: build('record'), audit: build('audit', auditPolicy) };

    const accessLogs = new AccessLogsBucket(this, 'AccessLogs', { retentionYears: props.auditRetentionYears }).bucket;
    this.attachments = new AttachmentsBucket(this, attachmentsBucket.id, { encryptionKey: props.dataKey, accessLogsBucket: accessLogs, replica: props.evidenceReplica });

    // Item-level reads and writes on the tables (and object-level ones on the attachments), into the security stack's object-locked bucket.
    // A trail of its own here, not selectors on the account trail: those would make the security
    // stack import the table ARNs while the data stack imports the data key from it, a cycle; and
    // the tables' generated names cannot be predicted to select them by ARN prefix instead. The
    // account trail's bucket policy (AWSLogs/<account>/*) and the trail key's policy (any trail of
    // this account) already admit a second trail, so nothing is added to the security stack.
    // No management events: the account trail records those once.
    const tableDataEvents = new CfnTrail(this, 'TableDataEvents', {
      isLogging: true,
      s3BucketName: props.trailBucket.bucketName,
      kmsKeyId: props.trailKey.keyArn,
      enableLogFileValidation: true,
      isMultiRegionTrail: false,
      includeGlobalServiceEvents: false,
      advancedEventSelectors: [
        {
          name: 'Record and audit table items, reads and writes',
          fieldSelectors: [
            { field: 'eventCategory', equalTo: ['Data'] },
            { field: 'resources.type', equalTo: ['AWS::DynamoDB::Table'] },
            { field: 'resources.ARN', equalTo: [this.tables.record.tableArn, this.tables.audit.tableArn] },
          ],
        },
        {
          // Who read or wrote which attachment, presigned URLs included (they act as the signing role).
          name: 'Attachment objects, reads and writes',
          fieldSelectors: [
            { field: 'eventCategory', equalTo: ['Data'] },
            { field: 'resources.type', equalTo: ['AWS::S3::Object'] },
            { field: 'resources.ARN', startsWith: [this.attachments.bucket.arnForObjects('')] },
          ],
        },
      ],
    });

    for (const pack of ['HIPAA.Security', 'NIST.800.53.R5']) {
      acknowledgeNagFinding(
        tableDataEvents,
        `${pack}-CloudTrailCloudWatchLogsEnabled`,
        'item-level events are evidence kept in the Object-Locked trail bucket; the CIS alarms read management events, which the account trail sends to CloudWatch Logs, and a log copy of every patient lookup would add a second store of access metadata',
      );
    }

    this.journalArchive = new JournalArchive(this, 'JournalArchive', {
      encryptionKey: props.dataKey,
      retentionYears: props.auditRetentionYears,
      accessLogsBucket: accessLogs,
      replica: props.evidenceReplica,
    });
    // Here, beside the tables: nag checks a table's backup selection within one stack only.
    this.backups = new TableBackups(this, 'Backups', {
      tables: [this.tables.record, this.tables.audit],
      dailyRetentionDays: props.backup.dailyRetentionDays,
      monthlyRetentionDays: props.backup.monthlyRetentionDays,
      lockMode: props.production ? 'compliance' : 'governance',
    });
  }
}
