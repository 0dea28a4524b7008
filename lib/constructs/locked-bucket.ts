import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { BlockPublicAccess, BucketEncryption, ObjectLockRetention, type BucketProps, type IBucket } from 'aws-cdk-lib/aws-s3';

export interface LockedBucketOptions {
  readonly encryptionKey: IKey;
  /** COMPLIANCE: no one, root included, can shorten or lift the lock. GOVERNANCE: s3:BypassGovernanceRetention can. */
  readonly lockMode: 'COMPLIANCE' | 'GOVERNANCE';
  readonly retentionYears: number;
  readonly accessLogsBucket: IBucket;
  /** Prefix of this bucket's server access logs in the access-log bucket. */
  readonly accessLogsPrefix: string;
}

/**
 * Days covering `years` calendar years, leap days included (7 years: 2557 days). The L2 renders
 * Object Lock retention in days only, and 365 a year would release objects a day or two early.
 */
export function lockRetentionDays(years: number): number {
  return Math.ceil(years * 365.25);
}

/**
 * The properties of a bucket that keeps audit evidence (trail files, the journal archive): customer
 * key, TLS only, private, versioned, Object Lock by default on every new object version, access-logged,
 * and kept if its stack goes. A function, not a construct, so an existing bucket keeps its logical id.
 */
export function lockedBucketProps(options: LockedBucketOptions): BucketProps {
  const lockFor = Duration.days(lockRetentionDays(options.retentionYears));
  return {
    encryption: BucketEncryption.KMS,
    encryptionKey: options.encryptionKey,
    bucketKeyEnabled: true,
    blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    versioned: true,
    objectLockEnabled: true,
    objectLockDefaultRetention: options.lockMode === 'COMPLIANCE' ? ObjectLockRetention.compliance(lockFor) : ObjectLockRetention.governance(lockFor),
    serverAccessLogsBucket: options.accessLogsBucket,
    serverAccessLogsPrefix: options.accessLogsPrefix,
    removalPolicy: RemovalPolicy.RETAIN,
  };
}

