import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY } from 'aws-cdk-lib/cx-api';
import { acknowledgeNagFinding } from '../nag/acknowledge';
import { lockRetentionDays } from './locked-bucket';

export interface AccessLogsBucketProps {
  /** Years the server access logs are kept, as long as the evidence they describe. */
  readonly retentionYears: number;
}

/**
 * Target of the S3 server access logs of the stack's evidence buckets, or of their replicas. SSE-S3,
 * not a customer key: S3 server access logging cannot deliver to a bucket whose default encryption is
 * SSE-KMS. Otherwise as strict as the buckets it watches: TLS only, private, versioned, retained.
 */
export class AccessLogsBucket extends Construct {
  readonly bucket: Bucket;

  constructor(scope: Construct, id: string, props: AccessLogsBucketProps) {
    super(scope, id);
    // The logging service writes through a bucket policy naming each source bucket and account, not
    // the legacy LogDeliveryWrite ACL (ACLs stay disabled): CDK's feature flag, set for this bucket only.
    this.node.setContext(S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);
    const keepFor = Duration.days(lockRetentionDays(props.retentionYears));
    this.bucket = new Bucket(this, 'Bucket', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      lifecycleRules: [{ id: 'KeepAsLongAsTheEvidence', expiration: keepFor, noncurrentVersionExpiration: keepFor }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const sseS3 = 'S3 server access logging delivers only to buckets encrypted with SSE-S3, never to a bucket whose default encryption is a KMS key; these logs hold request metadata, no health data';
    const sameRegion = 'request logs of the evidence buckets stay beside them, in their Canadian region; they are not the evidence, which is Object-Locked (and replicated where the stage asks) in its own buckets';
    for (const pack of ['HIPAA.Security', 'NIST.800.53.R5']) {
      acknowledgeNagFinding(this.bucket, `${pack}-S3DefaultEncryptionKMS`, sseS3);
      acknowledgeNagFinding(this.bucket, `${pack}-S3BucketReplicationEnabled`, sameRegion);
    }
  }
}
