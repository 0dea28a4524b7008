import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { ReadWriteType, Trail } from 'aws-cdk-lib/aws-cloudtrail';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectLockRetention } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';

/**
 * Keys and the account's audit trail. Stateful and long-lived: the data and API stacks
 * depend on it, never the other way round.
 */
export class SecurityStack extends Stack {
  /** Encrypts the record and audit tables. */
  readonly dataKey: Key;
  readonly trail: Trail;

  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, props);

    this.dataKey = new Key(this, 'DataKey', {
      description: 'DSC health record data (DynamoDB record and audit tables)',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const trailKey = new Key(this, 'TrailKey', {
      description: 'DSC CloudTrail log files and trail log group',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // Object Lock keeps trail files immutable for a year, even against a compromised admin.
    const trailBucket = new Bucket(this, 'TrailBucket', {
      encryption: BucketEncryption.KMS,
      encryptionKey: trailKey,
      bucketKeyEnabled: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      objectLockEnabled: true,
      objectLockDefaultRetention: ObjectLockRetention.governance(Duration.days(365)),
      removalPolicy: RemovalPolicy.RETAIN,
    });

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
    // CloudWatch Logs encrypts the trail's log group with the trail key.
    trailKey.grantEncryptDecrypt(new ServicePrincipal(`logs.${this.region}.amazonaws.com`));

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
  }
}
