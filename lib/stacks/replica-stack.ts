import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { AccessLogsBucket } from '../constructs/access-logs-bucket';
import { replicaBucketName, replicaKeyAlias, type EvidenceKind, type EvidenceReplicaRegion } from '../constructs/evidence-replication';
import { lockedBucketProps } from '../constructs/locked-bucket';
import { acknowledgeNagFinding } from '../nag/acknowledge';

export interface ReplicaStackProps extends StackProps {
  /** The stage and the region of this stack (its env region), from which the replicas' names derive. */
  readonly replica: EvidenceReplicaRegion;
  /** The Object Lock mode of each source bucket: a replica is locked as its source. */
  readonly lockModes: Readonly<Record<EvidenceKind, 'COMPLIANCE' | 'GOVERNANCE'>>;
  /** Years the replicas keep objects under Object Lock, as the source buckets. */
  readonly auditRetentionYears: number;
}

/**
 * The copies of the stage's Object-Locked evidence (trail files, journal archive) and of the record's
 * attachments (locked here too, in GOVERNANCE mode: an audited erasure can still bypass it) in a second Canadian
 * region, which S3 replication fills from the source buckets of the security and data stacks. Those
 * name these buckets and the key's alias (no reference crosses regions), so this stack deploys first.
 * Termination-protected, and everything is retained: the replicas are the evidence of last resort.
 */
export class ReplicaStack extends Stack {
  readonly replicaKey: Key;
  readonly buckets: Readonly<Record<EvidenceKind, Bucket>>;

  constructor(scope: Construct, id: string, props: ReplicaStackProps) {
    super(scope, id, { ...props, terminationProtection: true });

    this.replicaKey = new Key(this, 'ReplicaKey', {
      description: 'DSC evidence replicas (trail files, journal archive) in the replication region',
      alias: replicaKeyAlias(props.replica),
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const accessLogsBucket = new AccessLogsBucket(this, 'AccessLogs', { retentionYears: props.auditRetentionYears }).bucket;
    const replicaOf = (evidence: EvidenceKind, id: string) => {
      const bucket = new Bucket(this, id, {
        ...lockedBucketProps({
          encryptionKey: this.replicaKey,
          lockMode: props.lockModes[evidence],
          retentionYears: props.auditRetentionYears,
          accessLogsBucket,
          accessLogsPrefix: `${evidence}-replica/`,
        }),
        bucketName: replicaBucketName(this, props.replica, evidence),
      });
      for (const pack of ['HIPAA.Security', 'NIST.800.53.R5']) {
        acknowledgeNagFinding(
          bucket,
          `${pack}-S3BucketReplicationEnabled`,
          'this bucket is itself the copy in the second Canadian region, filled by replication from its source bucket of the stage region',
        );
      }
      return bucket;
    };
    this.buckets = { trail: replicaOf('trail', 'TrailReplica'), journal: replicaOf('journal', 'JournalArchiveReplica'), attachments: replicaOf('attachments', 'AttachmentsReplica') };
  }
}
