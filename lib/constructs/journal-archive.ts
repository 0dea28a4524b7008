import { Duration, Stack } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { StartingPosition, type Function as LambdaFunction, type IEventSourceDlq } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Bucket, type IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { journalArchiveBucketEnvVar } from '../../lambdas/contracts/functions';
import { acknowledgeNagFinding, importedValueName } from '../nag/acknowledge';
import { replicateEvidence, type EvidenceReplicaRegion } from './evidence-replication';
import { lockedBucketProps } from './locked-bucket';

export interface JournalArchiveProps {
  /** The data key, which also encrypts the tables: the journal names who saw whose record, so it is protected as the record is. */
  readonly encryptionKey: IKey;
  readonly retentionYears: number;
  readonly accessLogsBucket: IBucket;
  /** Where the stage replicates its evidence; none keeps the archive in one region (acknowledged). */
  readonly replica?: EvidenceReplicaRegion;
}

/** Archive objects live under this prefix (see lambdas/archive/journal-archive.ts); the archiver may write nowhere else. */
const archivePrefix = 'journal/';

/**
 * A copy of every change of the access journal that outlives the table: a bucket whose objects are
 * under COMPLIANCE-mode Object Lock on every stage (nobody, root included, can delete or overwrite a
 * version before its retention ends), fed by the audit table's stream. A table restore, a break-glass
 * edit or a compromised writer cannot reach it.
 */
export class JournalArchive extends Construct {
  readonly bucket: Bucket;
  private readonly encryptionKey: IKey;

  constructor(scope: Construct, id: string, props: JournalArchiveProps) {
    super(scope, id);
    this.encryptionKey = props.encryptionKey;
    this.bucket = new Bucket(
      this,
      'Bucket',
      lockedBucketProps({
        encryptionKey: props.encryptionKey,
        lockMode: 'COMPLIANCE',
        retentionYears: props.retentionYears,
        accessLogsBucket: props.accessLogsBucket,
        accessLogsPrefix: 'journal-archive/',
      }),
    );
    replicateEvidence(this.bucket, props.encryptionKey, 'journal', props.replica);
  }

  /**
   * Makes `archiver` the journal archiver: triggered by the audit table's stream, told the bucket, and
   * allowed to put archive objects (no read, delete or retention change) with the key only through S3.
   */
  archiveWith(archiver: LambdaFunction, auditTable: ITableV2, onFailure: IEventSourceDlq): void {
    archiver.addEnvironment(journalArchiveBucketEnvVar, this.bucket.bucketName);
    // The event source grants reading the stream, with kms:Decrypt and DescribeKey on the table key as
    // CDK gives it (unconditioned, as for the search indexer: kms:ViaService for DynamoDB Streams reads is undocumented).
    archiver.addEventSource(
      new DynamoEventSource(auditTable, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        // Fewer, larger objects: up to a minute or 1000 changes per object.
        batchSize: 1000,
        maxBatchingWindow: Duration.minutes(1),
        // A batch is one object: retried whole, never split (a split would re-key its second half),
        // until it succeeds or leaves the stream after 24 hours.
        retryAttempts: -1,
        bisectBatchOnError: false,
        parallelizationFactor: 1,
        // A batch that left the stream unarchived is named there (shard and sequence numbers): the
        // journal table still holds its entries, to archive again.
        onFailure,
      }),
    );
    const region = Stack.of(archiver).region;
    archiver.addToRolePolicy(new PolicyStatement({ sid: 'PutJournalArchiveObjects', actions: ['s3:PutObject'], resources: [this.bucket.arnForObjects(`${archivePrefix}*`)] }));
    const policy = archiver.role?.node.tryFindChild('DefaultPolicy');
    if (policy) {
      acknowledgeNagFinding(
        policy,
        `AwsSolutions-IAM5[Resource::${importedValueName(this.bucket, this.bucket.bucketArn)}/${archivePrefix}*]`,
        'archive objects are named per batch at run time, so the put is granted on the journal/ prefix of the one archive bucket, whose COMPLIANCE-mode Object Lock keeps every version',
      );
    }
    archiver.addToRolePolicy(
      new PolicyStatement({
        sid: 'ArchiveKeyOnlyThroughS3',
        actions: ['kms:GenerateDataKey'],
        resources: [this.encryptionKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${region}.amazonaws.com` } },
      }),
    );
  }
}
