import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import cdkJson from '../../cdk.json';
import { resolveStageConfig } from '../../lib/config';
import { createDscStacks } from '../../lib/dsc-app';
import { acknowledgementsIn } from '../../lib/nag/acknowledge';

/**
 * Cross-region replication of the Object-Locked evidence buckets (trail files, journal archive) into
 * the replica stack of the stage's replicationRegion. No reference can cross regions, so both sides
 * derive the replica buckets' names and the key's alias: these tests hold them to the same values.
 */

interface Resource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
  readonly DeletionPolicy?: string;
}

interface ReplicationRule {
  readonly Status: string;
  readonly Destination: { readonly Bucket: unknown; readonly EncryptionConfiguration: { readonly ReplicaKmsKeyID: unknown } };
  readonly SourceSelectionCriteria: unknown;
  readonly DeleteMarkerReplication: unknown;
}

interface PolicyStatementJson {
  readonly Sid: string;
  readonly Action: string | readonly string[];
  readonly Resource: unknown;
  readonly Condition?: unknown;
}

const synthesize = (stage: string, stages: unknown, account: string | undefined) =>
  createDscStacks(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), resolveStageConfig(stage, stages), account);

const resourcesOf = (template: Template, type: string) => template.findResources(type) as Record<string, Resource>;

/** The logical id and the resource of the one resource of `type` whose logical id starts with `prefix`. */
function singleEntry(template: Template, type: string, prefix: string): [string, Resource] {
  const found = Object.entries(resourcesOf(template, type)).filter(([id]) => id.startsWith(prefix));
  expect(found.map(([id]) => id), `${type} ${prefix}`).toHaveLength(1);
  return found[0] as [string, Resource];
}

const single = (template: Template, type: string, prefix: string) => singleEntry(template, type, prefix)[1];

const replicationRuleOf = (bucket: Resource) => {
  const { Rules } = bucket.Properties.ReplicationConfiguration as { Rules: readonly ReplicationRule[] };
  expect(Rules).toHaveLength(1);
  return Rules[0] as ReplicationRule;
};

/** `arn:<partition>:<service>:...` as an `Fn::Join` of the template, with whatever follows the partition. */
const arnJoin = (afterPartition: unknown[]) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ...afterPartition]] });

describe('the production stage of cdk.json (replicationRegion ca-west-1)', () => {
  let stacks: ReturnType<typeof createDscStacks>;
  let replica: Template;
  let security: Template;
  let data: Template;
  beforeAll(() => {
    stacks = synthesize('prod', cdkJson.context.stages, '111111111111');
    if (stacks.replica === undefined) throw new Error('no replica stack on prod');
    replica = Template.fromStack(stacks.replica);
    security = Template.fromStack(stacks.security);
    data = Template.fromStack(stacks.data);
  });

  it('has a termination-protected Dsc-prod-Replica stack in ca-west-1, in the stage account, deployed before the source stacks', () => {
    const replicaStack = stacks.replica as Stack;
    expect(replicaStack.stackName).toBe('Dsc-prod-Replica');
    expect({ account: replicaStack.account, region: replicaStack.region }).toEqual({ account: '111111111111', region: 'ca-west-1' });
    expect(replicaStack.terminationProtection).toBe(true);
    expect(stacks.security.dependencies).toContain(replicaStack);
    expect(stacks.data.dependencies).toContain(replicaStack);
  });

  it('encrypts the replicas with a rotated, retained customer key of its own, known by a fixed alias', () => {
    const keys = Object.entries(resourcesOf(replica, 'AWS::KMS::Key'));
    expect(keys.map(([id]) => id)).toEqual(['ReplicaKey4DE8F013']);
    expect(keys[0]?.[1]).toMatchObject({ DeletionPolicy: 'Retain', Properties: { EnableKeyRotation: true } });
    replica.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/dsc-prod-evidence-replica', TargetKeyId: { 'Fn::GetAtt': ['ReplicaKey4DE8F013', 'Arn'] } });
  });

  it.each([
    ['TrailReplica', 'dsc-prod-111111111111-ca-west-1-trail'],
    ['JournalArchiveReplica', 'dsc-prod-111111111111-ca-west-1-journal'],
  ])('keeps %s versioned, under COMPLIANCE Object Lock for 7 years, with the replica key, private, retained', (id, bucketName) => {
    const [logicalId, bucket] = singleEntry(replica, 'AWS::S3::Bucket', id);
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(bucket.Properties).toMatchObject({
      BucketName: bucketName,
      VersioningConfiguration: { Status: 'Enabled' },
      ObjectLockEnabled: true,
      ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 2557 } } },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': ['ReplicaKey4DE8F013', 'Arn'] } } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LoggingConfiguration: { DestinationBucketName: { Ref: singleEntry(replica, 'AWS::S3::Bucket', 'AccessLogsBucket')[0] } },
    });
    replica.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logicalId },
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it('sends the replicas\' server access logs to an access-log bucket of the replica region, encrypted with SSE-S3 (S3 cannot log into SSE-KMS)', () => {
    const logs = single(replica, 'AWS::S3::Bucket', 'AccessLogsBucket');
    expect(logs.DeletionPolicy).toBe('Retain');
    expect(logs.Properties.BucketEncryption).toEqual({ ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] });
  });

  it.each([
    ['trail', 'TrailBucket', 'TrailReplica'],
    ['journal archive', 'JournalArchiveBucket', 'JournalArchiveReplica'],
  ])('replicates the %s bucket, its SSE-KMS objects included, into its replica under the replica key, without delete markers', (_, sourceId, replicaId) => {
    const source = single(sourceId === 'TrailBucket' ? security : data, 'AWS::S3::Bucket', sourceId);
    const target = single(replica, 'AWS::S3::Bucket', replicaId);
    expect(replicationRuleOf(source)).toMatchObject({
      Status: 'Enabled',
      Destination: {
        Bucket: arnJoin([`:s3:::${String(target.Properties.BucketName)}`]),
        EncryptionConfiguration: { ReplicaKmsKeyID: arnJoin([':kms:ca-west-1:111111111111:alias/dsc-prod-evidence-replica']) },
      },
      SourceSelectionCriteria: { SseKmsEncryptedObjects: { Status: 'Enabled' } },
      DeleteMarkerReplication: { Status: 'Disabled' },
    });
    // The replica is locked as its source: same mode, same retention.
    expect(target.Properties.ObjectLockConfiguration).toEqual(source.Properties.ObjectLockConfiguration);
  });

  it('acknowledges no missing replication on the replicated buckets', () => {
    const sources = ['Dsc-prod-Security/TrailBucket', 'Dsc-prod-Data/JournalArchive/Bucket'];
    const onSources = acknowledgementsIn(stacks.security.node.root).filter(({ path, ruleId }) => ruleId.endsWith('-S3BucketReplicationEnabled') && sources.includes(path));
    expect(onSources).toEqual([]);
  });

  it('gives the trail replication role only what replication needs, keys through S3 alone', () => {
    const role = Object.keys(security.findResources('AWS::IAM::Role', { Properties: { AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 's3.amazonaws.com' } })] } } }));
    expect(role).toHaveLength(1);
    expect(single(security, 'AWS::S3::Bucket', 'TrailBucket').Properties.ReplicationConfiguration).toMatchObject({ Role: { 'Fn::GetAtt': [role[0], 'Arn'] } });
    const policies = Object.values(resourcesOf(security, 'AWS::IAM::ManagedPolicy')).filter((policy) => JSON.stringify(policy.Properties.Roles) === JSON.stringify([{ Ref: role[0] }]));
    expect(policies).toHaveLength(1);
    const { Statement } = policies[0]?.Properties.PolicyDocument as { Statement: readonly PolicyStatementJson[] };
    const replicaBucket = ':s3:::dsc-prod-111111111111-ca-west-1-trail';
    expect(Object.fromEntries(Statement.map((statement) => [statement.Sid, [statement.Action].flat()]))).toEqual({
      ReadReplicationConfiguration: ['s3:GetReplicationConfiguration', 's3:ListBucket'],
      ReadSourceVersionsWithTheirLock: ['s3:GetObjectVersionForReplication', 's3:GetObjectVersionAcl', 's3:GetObjectVersionTagging', 's3:GetObjectRetention', 's3:GetObjectLegalHold'],
      WriteReplicas: ['s3:ReplicateObject', 's3:ReplicateDelete', 's3:ReplicateTags'],
      DecryptSourceOnlyThroughS3: ['kms:Decrypt'],
      EncryptReplicasOnlyThroughS3: ['kms:Encrypt'],
    });
    const bySid = (sid: string) => Statement.find((statement) => statement.Sid === sid);
    expect(bySid('WriteReplicas')?.Resource).toEqual(arnJoin([`${replicaBucket}/*`]));
    expect(bySid('DecryptSourceOnlyThroughS3')).toMatchObject({
      Resource: { 'Fn::GetAtt': ['TrailKey38EB2549', 'Arn'] },
      Condition: { StringEquals: { 'kms:ViaService': 's3.ca-central-1.amazonaws.com' } },
    });
    expect(bySid('EncryptReplicasOnlyThroughS3')).toMatchObject({
      Resource: arnJoin([':kms:ca-west-1:111111111111:key/*']),
      Condition: {
        StringEquals: { 'kms:ViaService': 's3.ca-west-1.amazonaws.com' },
        'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/dsc-prod-evidence-replica' },
        StringLike: { 'kms:EncryptionContext:aws:s3:arn': [arnJoin([replicaBucket]), arnJoin([`${replicaBucket}/*`])] },
      },
    });
  });
});

describe('an environment-agnostic synth (no account known)', () => {
  it('names the replica buckets from each stack\'s own AWS::AccountId, the same account on both sides', () => {
    const stacks = synthesize('prod', cdkJson.context.stages, undefined);
    const replica = Template.fromStack(stacks.replica as Stack);
    const nameOf = (id: string) => single(replica, 'AWS::S3::Bucket', id).Properties.BucketName;
    expect(nameOf('TrailReplica')).toEqual({ 'Fn::Join': ['', ['dsc-prod-', { Ref: 'AWS::AccountId' }, '-ca-west-1-trail']] });
    const destination = replicationRuleOf(single(Template.fromStack(stacks.security), 'AWS::S3::Bucket', 'TrailBucket')).Destination.Bucket;
    expect(destination).toEqual(arnJoin([':s3:::dsc-prod-', { Ref: 'AWS::AccountId' }, '-ca-west-1-trail']));
    expect(replicationRuleOf(single(Template.fromStack(stacks.data), 'AWS::S3::Bucket', 'JournalArchiveBucket')).Destination.Bucket).toEqual(
      arnJoin([':s3:::dsc-prod-', { Ref: 'AWS::AccountId' }, '-ca-west-1-journal']),
    );
    expect(nameOf('JournalArchiveReplica')).toEqual({ 'Fn::Join': ['', ['dsc-prod-', { Ref: 'AWS::AccountId' }, '-ca-west-1-journal']] });
  });
});

describe('a non-production stage with a replicationRegion', () => {
  it('locks each replica as its source: the trail GOVERNANCE, the journal archive COMPLIANCE', () => {
    const stages = { staging: { region: 'ca-west-1', replicationRegion: 'ca-central-1', authDomainPrefix: 'dsc-staging', oauthCallbackUrls: ['https://app.example.org/cb'] } };
    const stacks = synthesize('staging', stages, '111111111111');
    const replica = Template.fromStack(stacks.replica as Stack);
    expect((stacks.replica as Stack).region).toBe('ca-central-1');
    const modeOf = (template: Template, id: string) => (single(template, 'AWS::S3::Bucket', id).Properties.ObjectLockConfiguration as { Rule: { DefaultRetention: { Mode: string } } }).Rule.DefaultRetention.Mode;
    expect([modeOf(Template.fromStack(stacks.security), 'TrailBucket'), modeOf(replica, 'TrailReplica')]).toEqual(['GOVERNANCE', 'GOVERNANCE']);
    expect([modeOf(Template.fromStack(stacks.data), 'JournalArchiveBucket'), modeOf(replica, 'JournalArchiveReplica')]).toEqual(['COMPLIANCE', 'COMPLIANCE']);
  });
});

describe('the development stage of cdk.json (no replicationRegion)', () => {
  let stacks: ReturnType<typeof createDscStacks>;
  beforeAll(() => {
    stacks = synthesize('dev', cdkJson.context.stages, '111111111111');
  });

  it('has no replica stack, and the source stacks depend on none', () => {
    expect(stacks.replica).toBeUndefined();
    expect(stacks.security.node.root.node.children.map((child) => child.node.id)).not.toContain('Dsc-dev-Replica');
    expect(stacks.security.dependencies).toEqual([]);
  });

  it('keeps the evidence and attachments buckets in one region, and says why on each of them', () => {
    const trail = single(Template.fromStack(stacks.security), 'AWS::S3::Bucket', 'TrailBucket');
    const journal = single(Template.fromStack(stacks.data), 'AWS::S3::Bucket', 'JournalArchiveBucket');
    expect([trail.Properties.ReplicationConfiguration, journal.Properties.ReplicationConfiguration]).toEqual([undefined, undefined]);
    const acknowledged = acknowledgementsIn(stacks.security.node.root)
      .filter(({ ruleId, reason }) => ruleId.endsWith('-S3BucketReplicationEnabled') && reason.includes('sets no replicationRegion'))
      .map(({ path, ruleId }) => `${path} ${ruleId}`);
    expect(acknowledged).toEqual([
      'Dsc-dev-Data/AttachmentsBucket/Bucket HIPAA.Security-S3BucketReplicationEnabled',
      'Dsc-dev-Data/AttachmentsBucket/Bucket NIST.800.53.R5-S3BucketReplicationEnabled',
      'Dsc-dev-Data/JournalArchive/Bucket HIPAA.Security-S3BucketReplicationEnabled',
      'Dsc-dev-Data/JournalArchive/Bucket NIST.800.53.R5-S3BucketReplicationEnabled',
      'Dsc-dev-Security/TrailBucket HIPAA.Security-S3BucketReplicationEnabled',
      'Dsc-dev-Security/TrailBucket NIST.800.53.R5-S3BucketReplicationEnabled',
    ]);
  });
});
