import { Stack } from 'aws-cdk-lib';
import { ManagedPolicy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { Bucket, CfnBucket } from 'aws-cdk-lib/aws-s3';
import type { IConstruct } from 'constructs';
// cdk-nag's own flattening of a resource into its finding id, so acknowledgements match it exactly.
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import { acknowledgeNagFinding } from '../nag/acknowledge';

/** The buckets of a stage replicated to a bucket of their own: the Object-Locked evidence, and the record's attachments. */
export type EvidenceKind = 'trail' | 'journal' | 'attachments';

/** Where a stage keeps the replicas of its evidence: a second Canadian region of the same account. */
export interface EvidenceReplicaRegion {
  readonly stage: string;
  readonly region: string;
}

/**
 * The replica bucket's name. CloudFormation cannot reference a resource of another region, so the
 * source and replica stacks both derive it: bucket names are global, and stage, account and region
 * make it unique (at most 62 characters, of the 63 allowed, with a 20-character stage). An unresolved account is the
 * `AWS::AccountId` of each stack, the same account on both sides.
 */
export function replicaBucketName(scope: IConstruct, replica: EvidenceReplicaRegion, evidence: EvidenceKind): string {
  return `dsc-${replica.stage}-${Stack.of(scope).account}-${replica.region}-${evidence}`;
}

/** The replica key's alias, named for the same reason: the key's id is not known to the source stacks. */
export function replicaKeyAlias(replica: EvidenceReplicaRegion): string {
  return `alias/dsc-${replica.stage}-evidence-replica`;
}

/**
 * Replicates every new version of an evidence bucket, with its Object Lock retention, to its replica
 * in the stage's replication region; for a stage without one, says on the bucket what keeps the
 * evidence instead. Set on the CfnBucket after the fact: the L2's `replicationRules` exist only at
 * construction and take the replica key as an IKey, while ours is known by its alias ARN alone.
 */
export function replicateEvidence(bucket: Bucket, encryptionKey: IKey, evidence: EvidenceKind, replica: EvidenceReplicaRegion | undefined): void {
  if (replica === undefined) {
    acknowledgeSingleRegionEvidence(bucket, evidence);
    return;
  }
  const stack = Stack.of(bucket);
  const replicaArn = `arn:${stack.partition}:s3:::${replicaBucketName(bucket, replica, evidence)}`;
  const replicaObjects = `${replicaArn}/*`;
  const sourceObjects = bucket.arnForObjects('*');
  const replicaKmsArn = (resource: string) => `arn:${stack.partition}:kms:${replica.region}:${stack.account}:${resource}`;
  // The replica key's id is generated in the other region: it is named by its alias instead.
  const replicaKeys = replicaKmsArn('key/*');
  const role = new Role(bucket, 'ReplicationRole', {
    assumedBy: new ServicePrincipal('s3.amazonaws.com'),
    description: `S3 replication of the ${evidence} evidence bucket to its Object-Locked replica in ${replica.region}`,
  });
  // A customer managed policy, not the role's inline default policy (HIPAA/NIST IAMNoInlinePolicy).
  const policy = new ManagedPolicy(bucket, 'ReplicationPolicy', {
    roles: [role],
    statements: [
      new PolicyStatement({ sid: 'ReadReplicationConfiguration', actions: ['s3:GetReplicationConfiguration', 's3:ListBucket'], resources: [bucket.bucketArn] }),
      // Retention and legal hold travel with each version, so the replica is locked as long as the source.
      new PolicyStatement({
        sid: 'ReadSourceVersionsWithTheirLock',
        actions: ['s3:GetObjectVersionForReplication', 's3:GetObjectVersionAcl', 's3:GetObjectVersionTagging', 's3:GetObjectRetention', 's3:GetObjectLegalHold'],
        resources: [sourceObjects],
      }),
      // No s3:ObjectOwnerOverrideToBucketOwner: same account, the replica's owner is already ours.
      new PolicyStatement({ sid: 'WriteReplicas', actions: ['s3:ReplicateObject', 's3:ReplicateDelete', 's3:ReplicateTags'], resources: [replicaObjects] }),
      // The encryption context is the bucket ARN with an S3 Bucket Key, an object ARN without.
      new PolicyStatement({
        sid: 'DecryptSourceOnlyThroughS3',
        actions: ['kms:Decrypt'],
        resources: [encryptionKey.keyArn],
        conditions: {
          StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` },
          StringLike: { 'kms:EncryptionContext:aws:s3:arn': [bucket.bucketArn, sourceObjects] },
        },
      }),
      new PolicyStatement({
        sid: 'EncryptReplicasOnlyThroughS3',
        actions: ['kms:Encrypt'],
        resources: [replicaKeys],
        conditions: {
          StringEquals: { 'kms:ViaService': `s3.${replica.region}.amazonaws.com` },
          'ForAnyValue:StringEquals': { 'kms:ResourceAliases': replicaKeyAlias(replica) },
          StringLike: { 'kms:EncryptionContext:aws:s3:arn': [replicaArn, replicaObjects] },
        },
      }),
    ],
  });
  acknowledgeReplicationWildcards(policy, sourceObjects, replicaObjects, replicaKeys);

  const cfnBucket = bucket.node.defaultChild as CfnBucket;
  cfnBucket.replicationConfiguration = {
    role: role.roleArn,
    rules: [
      {
        id: `${evidence}-to-${replica.region}`,
        status: 'Enabled',
        priority: 0,
        filter: { prefix: '' },
        // Objects are SSE-KMS: without this, S3 skips them. The replica key encrypts them there.
        sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: 'Enabled' } },
        destination: { bucket: replicaArn, encryptionConfiguration: { replicaKmsKeyId: replicaKmsArn(replicaKeyAlias(replica)) } },
        // A delete marker on the source (which Object Lock allows) does not hide the replica's versions.
        deleteMarkerReplication: { status: 'Disabled' },
      },
    ],
  };
}

/** The policy's wildcard resources, each acknowledged by the id cdk-nag gives it (its own flattening of the ARN). */
function acknowledgeReplicationWildcards(policy: ManagedPolicy, sourceObjects: string, replicaObjects: string, replicaKeys: string): void {
  const reasons: [string, string][] = [
    [sourceObjects, 'replication reads the versions written to this one source bucket, with any retention and legal hold they carry, and may change none of them'],
    [replicaObjects, 'replication writes copies of those versions into the one replica bucket of the replication region, whose Object Lock then keeps each of them'],
    [replicaKeys, 'the replica key id is generated in the other region, so the statement names that key by its alias (kms:ResourceAliases), usable only through S3 there for the replica bucket'],
  ];
  const stack = Stack.of(policy);
  for (const [resource, reason] of reasons) acknowledgeNagFinding(policy, `AwsSolutions-IAM5[Resource::${flattenCfnReference(stack.resolve(resource))}]`, reason);
}

/**
 * For a stage without a replication region: what keeps the evidence meanwhile is said here, on the
 * bucket, for the two packs that ask for replication.
 */
function acknowledgeSingleRegionEvidence(bucket: IConstruct, evidence: EvidenceKind): void {
  const reason =
    evidence === 'attachments'
      ? 'versioning keeps every version of the attachments, no function may delete one, and S3 stores them across three availability zones of the Canadian region; this stage sets no replicationRegion, which production sets to copy them to a second Canadian region (docs/binary.md)'
      : 'Object Lock keeps every version of this evidence undeletable for the audit retention, and S3 stores it across three availability zones of the Canadian region; this stage sets no replicationRegion, which production sets to copy it to a second Canadian region (docs/compliance-controls.md)';
  for (const ruleId of ['HIPAA.Security-S3BucketReplicationEnabled', 'NIST.800.53.R5-S3BucketReplicationEnabled']) acknowledgeNagFinding(bucket, ruleId, reason);
}
