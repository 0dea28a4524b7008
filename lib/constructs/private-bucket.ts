import { RemovalPolicy } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { BlockPublicAccess, BucketEncryption, type BucketProps, type IBucket } from 'aws-cdk-lib/aws-s3';

export interface PrivateBucketOptions {
  readonly encryptionKey: IKey;
  readonly accessLogsBucket: IBucket;
  /** Prefix of this bucket's server access logs in the access-log bucket. */
  readonly accessLogsPrefix: string;
}

/**
 * The properties every bucket holding record content or audit evidence shares: customer key (with an
 * S3 Bucket Key, so each object does not call KMS), TLS 1.2+ only, private, versioned so no overwrite or
 * delete loses a version, access-logged, and kept if its stack goes. A function, not a construct, so an
 * existing bucket keeps its logical id.
 */
export function privateBucketProps(options: PrivateBucketOptions): BucketProps {
  return {
    encryption: BucketEncryption.KMS,
    encryptionKey: options.encryptionKey,
    bucketKeyEnabled: true,
    blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    versioned: true,
    serverAccessLogsBucket: options.accessLogsBucket,
    serverAccessLogsPrefix: options.accessLogsPrefix,
    removalPolicy: RemovalPolicy.RETAIN,
  };
}
