import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { attachmentsBucket, bucketActions } from '../../lambdas/contracts/buckets';
import { functionNames, functions, type FunctionDefinition } from '../../lambdas/contracts/functions';
import { resolveStageConfig } from '../../lib/config';
import { createDscStacks } from '../../lib/dsc-app';

/**
 * The attachments bucket (Binary content): where it lives, how it is protected, who may touch it.
 * Both stages' shapes: one region (dev-like) and with a replication region (production-like).
 */
interface Resource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
  readonly DeletionPolicy?: string;
}
interface Statement {
  readonly Sid?: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: unknown;
}

const base = { region: 'ca-central-1', authDomainPrefix: 'dsc-test', oauthCallbackUrls: ['https://app.example.org/cb'] };

function synth(config: Record<string, unknown>) {
  const stacks = createDscStacks(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), resolveStageConfig('test', { test: config }), '111111111111');
  return { data: Template.fromStack(stacks.data), api: Template.fromStack(stacks.api), security: Template.fromStack(stacks.security), replica: stacks.replica && Template.fromStack(stacks.replica) };
}

let single: ReturnType<typeof synth>;
let replicated: ReturnType<typeof synth>;

beforeAll(() => {
  single = synth(base);
  replicated = synth({ ...base, replicationRegion: 'ca-west-1' });
});

function attachmentsOf(template: Template): [string, Resource] {
  const found = Object.entries(template.findResources('AWS::S3::Bucket') as Record<string, Resource>).filter(([id]) => id.startsWith(attachmentsBucket.id));
  expect(found).toHaveLength(1);
  return found[0] as [string, Resource];
}

function statementsOf(template: Template, functionId: string): Statement[] {
  const policies = Object.entries(template.findResources('AWS::IAM::Policy') as Record<string, Resource>).filter(([id]) => id.startsWith(`${functionId}ServiceRoleDefaultPolicy`));
  return policies.flatMap(([, policy]) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

const actionsOf = (statement: Statement) => (Array.isArray(statement.Action) ? statement.Action : [statement.Action]);

describe('the attachments bucket', () => {
  it('keeps its logical id: a new one would replace the bucket and orphan every attachment', () => {
    expect(attachmentsOf(single.data)[0]).toMatch(/^AttachmentsBucket28B3CCF2$/);
  });

  it('encrypts with the customer data key (bucket key on), versions every object and is retained', () => {
    const [, bucket] = attachmentsOf(single.data);
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(bucket.Properties).toMatchObject({
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ BucketKeyEnabled: true, ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::ImportValue': expect.stringMatching(/DataKey/) as unknown } } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LoggingConfiguration: { LogFilePrefix: 'attachments/' },
    });
  });

  it('refuses plain HTTP and TLS below 1.2 in its bucket policy', () => {
    const [id] = attachmentsOf(single.data);
    single.data.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: id },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Effect: 'Deny', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
        ]),
      },
    });
  });

  it('records object-level reads and writes in the data-event trail', () => {
    const [id] = attachmentsOf(single.data);
    single.data.hasResourceProperties('AWS::CloudTrail::Trail', {
      AdvancedEventSelectors: Match.arrayWith([
        {
          Name: Match.anyValue(),
          FieldSelectors: [
            { Field: 'eventCategory', Equals: ['Data'] },
            { Field: 'resources.type', Equals: ['AWS::S3::Object'] },
            { Field: 'resources.ARN', StartsWith: [{ 'Fn::Join': ['', [{ 'Fn::GetAtt': [id, 'Arn'] }, '/']] }] },
          ],
        },
      ]),
    });
  });

  it('replicates to a bucket of its own in the replication region when the stage has one', () => {
    expect(attachmentsOf(single.data)[1].Properties.ReplicationConfiguration).toBeUndefined();
    const replication = attachmentsOf(replicated.data)[1].Properties.ReplicationConfiguration as { Rules: { Destination: { Bucket: unknown } }[] };
    expect(JSON.stringify(replication.Rules[0]?.Destination.Bucket)).toContain('-ca-west-1-attachments');
    const replicaNames = Object.values((replicated.replica?.findResources('AWS::S3::Bucket') ?? {}) as Record<string, Resource>).map((bucket) => JSON.stringify(bucket.Properties.BucketName ?? null));
    expect(replicaNames.filter((name) => name.includes('-ca-west-1-attachments'))).toHaveLength(1);
  });
});

describe('least privilege on the attachments', () => {
  const declared = functionNames.filter((name) => (functions[name] as FunctionDefinition).bucketAccess?.attachments !== undefined);

  it('is declared for the record read and write functions only', () => {
    expect(declared.sort()).toEqual(['recordRead', 'recordWrite']);
  });

  it.each(functionNames)('gives %s exactly its declared S3 actions, on the binary/ prefix, and the data key only through S3', (name) => {
    const access = (functions[name] as FunctionDefinition).bucketAccess?.attachments;
    const statements = statementsOf(single.api, functions[name].id);
    const s3 = statements.filter((statement) => actionsOf(statement).some((action) => action.startsWith('s3:')));
    if (access === undefined) {
      // The journal archiver writes its own bucket; nothing else touches S3.
      expect(s3.every((statement) => JSON.stringify(statement.Resource).includes('JournalArchive'))).toBe(true);
      return;
    }
    expect(s3).toHaveLength(1);
    expect(actionsOf(s3[0] as Statement).sort()).toEqual([...bucketActions[access]].sort());
    expect(JSON.stringify(s3[0]?.Resource)).toMatch(/AttachmentsBucket.*\/binary\/\*/);
    expect(actionsOf(s3[0] as Statement)).not.toContain('s3:DeleteObject');
    const key = statements.find((statement) => statement.Sid === 'AttachmentKeyOnlyThroughS3');
    expect(key?.Condition).toEqual({ StringEquals: { 'kms:ViaService': 's3.ca-central-1.amazonaws.com' } });
    expect(actionsOf(key as Statement).sort()).toEqual(access === 'read' ? ['kms:Decrypt'] : ['kms:Decrypt', 'kms:GenerateDataKey']);
  });

  it('gives the functions the bucket name through the variable the contract names', () => {
    single.api.hasResourceProperties('AWS::Lambda::Function', {
      Description: functions.recordWrite.description,
      Environment: { Variables: Match.objectLike({ [attachmentsBucket.nameEnvVar]: { 'Fn::ImportValue': Match.stringLikeRegexp('AttachmentsBucket') } }) },
    });
  });

  it('lets the data key be used through S3, which SSE-KMS and presigned URLs need', () => {
    single.security.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'UseOnlyThroughTheRecordServices', Condition: { StringEquals: Match.objectLike({ 'kms:ViaService': Match.arrayWith(['s3.ca-central-1.amazonaws.com']) }) } })]) },
    });
  });
});
