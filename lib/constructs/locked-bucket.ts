import { Duration } from 'aws-cdk-lib';
import { ObjectLockRetention, type BucketProps } from 'aws-cdk-lib/aws-s3';
import { privateBucketProps, type PrivateBucketOptions } from './private-bucket';

export interface LockedBucketOptions extends PrivateBucketOptions {
  /** COMPLIANCE: no one, root included, can shorten or lift the lock. GOVERNANCE: s3:BypassGovernanceRetention can. */
  readonly lockMode: 'COMPLIANCE' | 'GOVERNANCE';
  readonly retentionYears: number;
}

/**
 * Days covering `years` calendar years, leap days included (7 years: 2557 days). The L2 renders
 * Object Lock retention in days only, and 365 a year would release objects a day or two early.
 */
export function lockRetentionDays(years: number): number {
  return Math.ceil(years * 365.25);
}

/**
 * The properties of a bucket that keeps audit evidence (trail files, the journal archive): a private
 * bucket (see privateBucketProps) with Object Lock by default on every new object version.
 */
export function lockedBucketProps(options: LockedBucketOptions): BucketProps {
  const lockFor = Duration.days(lockRetentionDays(options.retentionYears));
  return {
    ...privateBucketProps(options),
    objectLockEnabled: true,
    objectLockDefaultRetention: options.lockMode === 'COMPLIANCE' ? ObjectLockRetention.compliance(lockFor) : ObjectLockRetention.governance(lockFor),
  };
}

