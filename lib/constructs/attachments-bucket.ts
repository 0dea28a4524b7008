import { Duration, Stack } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Bucket, type IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { attachmentsBucket, bucketActions, type BucketAccess } from '../../lambdas/contracts/buckets';
import { acknowledgeNagFinding, importedValueName } from '../nag/acknowledge';
import { replicateEvidence, type EvidenceReplicaRegion } from './evidence-replication';
import { privateBucketProps } from './private-bucket';

export interface AttachmentsBucketProps {
  /** The data key, which also encrypts the tables: attachments are the record's content. */
  readonly encryptionKey: IKey;
  readonly accessLogsBucket: IBucket;
  /** Where the stage replicates its evidence and record content; none keeps it in one region (acknowledged). */
  readonly replica?: EvidenceReplicaRegion;
}

/**
 * Binary content and the attachments moved out of DocumentReferences (docs/binary.md): the data
 * key, TLS only, private, access-logged, retained, and versioned so that no overwrite or delete
 * loses a version; no function is granted a delete. Not Object-Locked: a bucket with default
 * retention refuses any PUT without Content-MD5, which every client's presigned upload would then
 * have to compute and send; versioning, the absence of any delete grant, the data-event trail and
 * (production) replication protect it instead.
 */
export class AttachmentsBucket extends Construct {
  readonly bucket: Bucket;
  private readonly encryptionKey: IKey;

  constructor(scope: Construct, id: string, props: AttachmentsBucketProps) {
    super(scope, id);
    this.encryptionKey = props.encryptionKey;
    this.bucket = new Bucket(this, 'Bucket', {
      ...privateBucketProps({ encryptionKey: props.encryptionKey, accessLogsBucket: props.accessLogsBucket, accessLogsPrefix: 'attachments/' }),
      // Content stays as long as the record that points to it; only the parts of an upload never completed go.
      lifecycleRules: [{ id: 'AbortIncompleteUploads', abortIncompleteMultipartUploadAfter: Duration.days(1) }],
    });
    replicateEvidence(this.bucket, props.encryptionKey, 'attachments', props.replica);
  }

  /**
   * What `bucketAccess` declares for a function: its S3 actions on the content prefix only, and the
   * data key only through S3 (decrypt to read; generate data keys to write). A presigned URL acts
   * with these permissions and no others.
   */
  grantContent(fn: LambdaFunction, access: BucketAccess): void {
    const objects = this.bucket.arnForObjects(`${attachmentsBucket.objectPrefix}*`);
    fn.addToRolePolicy(new PolicyStatement({ sid: 'AttachmentContent', actions: [...bucketActions[access]], resources: [objects] }));
    fn.addToRolePolicy(
      new PolicyStatement({
        sid: 'AttachmentKeyOnlyThroughS3',
        actions: access === 'read' ? ['kms:Decrypt'] : ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: [this.encryptionKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${Stack.of(fn).region}.amazonaws.com` } },
      }),
    );
    const policy = fn.role?.node.tryFindChild('DefaultPolicy');
    if (policy) {
      acknowledgeNagFinding(
        policy,
        `AwsSolutions-IAM5[Resource::${importedValueName(this.bucket, this.bucket.bucketArn)}/${attachmentsBucket.objectPrefix}*]`,
        'Binary content is stored under a key minted per content at run time, so the grant names the binary/ prefix of the one attachments bucket, with no delete and no listing',
      );
    }
  }
}
