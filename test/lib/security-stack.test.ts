import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { cisFilters, cisMetricNamespace } from '../../lib/constructs/cis-alarms';
import { SecurityStack } from '../../lib/stacks/security-stack';

/** The security stack's compliance controls, each assertion naming the property that satisfies it. */

interface Resource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
  readonly DeletionPolicy?: string;
}

const env = { account: '111111111111', region: 'ca-central-1' };
let template: Template;

beforeAll(() => {
  const stack = new SecurityStack(new App(), 'Security', { env, trailObjectLockMode: 'COMPLIANCE', auditRetentionYears: 7, alarmEmail: 'ops@example.org' });
  template = Template.fromStack(stack);
});

const resources = (type: string) => template.findResources(type) as Record<string, Resource>;
const idOf = (type: string, prefix: string) => {
  const ids = Object.keys(resources(type)).filter((id) => id.startsWith(prefix));
  expect(ids, `${type} ${prefix}`).toHaveLength(1);
  return ids[0] ?? '';
};

describe('stateful logical ids', () => {
  it('pins the keys, the trail bucket and its access-log bucket, the trail and the alarm topic (a change would replace them)', () => {
    expect(Object.keys(resources('AWS::KMS::Key')).sort()).toEqual(['AlarmsKey3C2381B3', 'DataKey17AFBB84', 'LogsKeyA6AB43B2', 'TrailKey38EB2549']);
    expect(Object.keys(resources('AWS::S3::Bucket')).sort()).toEqual(['AccessLogsBucketCD784A59', 'TrailBucketA831CE63']);
    expect(Object.keys(resources('AWS::CloudTrail::Trail'))).toEqual(['Trail022F0CF2']);
    expect(Object.keys(resources('AWS::SNS::Topic'))).toEqual(['AlarmsTopic3A2DFEBA']);
  });

  it('retains every key and bucket if the stack is deleted', () => {
    for (const type of ['AWS::KMS::Key', 'AWS::S3::Bucket']) {
      for (const [id, resource] of Object.entries(resources(type))) expect(resource.DeletionPolicy, id).toBe('Retain');
    }
  });
});

describe('data key', () => {
  const statementsOfDataKey = () => (resources('AWS::KMS::Key').DataKey17AFBB84?.Properties?.KeyPolicy as { Statement: Record<string, unknown>[] }).Statement;

  it('leaves the account administration of the data key but no direct use: no kms:* and no cryptographic action for the account root', () => {
    const rootStatements = statementsOfDataKey().filter((statement) => JSON.stringify(statement.Principal).includes(':root'));
    expect(rootStatements).toHaveLength(1);
    const actions = rootStatements[0]?.Action as string[];
    expect(actions).not.toContain('kms:*');
    for (const crypto of ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKey*', 'kms:ReEncrypt*']) expect(actions).not.toContain(crypto);
    expect(actions).toEqual(expect.arrayContaining(['kms:ScheduleKeyDeletion', 'kms:Disable*', 'kms:Put*']));
  });

  it('allows decrypting and encrypting only through DynamoDB, S3 and AWS Backup of this region, for callers of this account', () => {
    const uses = statementsOfDataKey().filter((statement) => JSON.stringify(statement.Action).includes('kms:Decrypt'));
    expect(uses).toHaveLength(1);
    expect(uses[0]).toMatchObject({
      Effect: 'Allow',
      Condition: {
        StringEquals: {
          'kms:CallerAccount': expect.anything() as unknown,
          'kms:ViaService': ['dynamodb.ca-central-1.amazonaws.com', 's3.ca-central-1.amazonaws.com', 'backup.ca-central-1.amazonaws.com'],
        },
      },
    });
  });
});

describe('alarm topic', () => {
  it('encrypts the topic with its own rotated customer key, and refuses publishing without TLS', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': ['AlarmsKey3C2381B3', 'Arn'] } });
    template.hasResourceProperties('AWS::KMS::Key', { Description: Match.stringLikeRegexp('alarm'), EnableKeyRotation: true });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it('lets CloudWatch alarms and EventBridge rules encrypt messages with the key, and publish, for this account only', () => {
    const publishers = { Service: ['cloudwatch.amazonaws.com', 'events.amazonaws.com'] };
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Principal: publishers, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] })]) },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Allow', Principal: publishers, Action: 'sns:Publish', Condition: { StringEquals: { 'aws:SourceAccount': '111111111111' } } })]),
      },
    });
  });

  it('subscribes the operators\' address from the stage config, and no one without one', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.org', TopicArn: { Ref: 'AlarmsTopic3A2DFEBA' } });
    const quiet = Template.fromStack(new SecurityStack(new App(), 'Quiet', { env, trailObjectLockMode: 'GOVERNANCE', auditRetentionYears: 1 }));
    quiet.resourceCountIs('AWS::SNS::Subscription', 0);
    quiet.resourceCountIs('AWS::SNS::Topic', 1);
  });
});

describe('CIS metric filters and alarms', () => {
  const trailLogGroup = () => idOf('AWS::Logs::LogGroup', 'TrailLogs');

  it('covers the benchmark\'s recommendations asked for: root use, refusals, sign-in without MFA, IAM, trail, KMS, S3 policy, security group and NACL changes', () => {
    expect(cisFilters.map((filter) => filter.cis)).toEqual(['4.1', '4.2', '4.3', '4.4', '4.5', '4.7', '4.8', '4.10', '4.11']);
  });

  it('filters the account trail\'s log group on the events each recommendation names', () => {
    const patternOf = (id: string) => cisFilters.find((filter) => filter.id === id)?.pattern ?? '';
    expect(patternOf('RootAccountUse')).toContain('$.userIdentity.type = "Root"');
    expect(patternOf('UnauthorizedApiCalls')).toMatch(/UnauthorizedOperation.*AccessDenied/);
    expect(patternOf('ConsoleSignInWithoutMfa')).toMatch(/ConsoleLogin.*MFAUsed != "Yes"/);
    expect(patternOf('KmsKeyDisabledOrScheduledForDeletion')).toMatch(/kms\.amazonaws\.com.*DisableKey.*ScheduleKeyDeletion/);
    expect(patternOf('CloudTrailChanges')).toMatch(/StopLogging/);
    expect(patternOf('IamPolicyChanges')).toMatch(/AttachRolePolicy/);
    expect(patternOf('S3BucketPolicyChanges')).toMatch(/PutBucketPolicy/);
    expect(patternOf('SecurityGroupChanges')).toMatch(/AuthorizeSecurityGroupIngress/);
    expect(patternOf('NetworkAclChanges')).toMatch(/ReplaceNetworkAclEntry/);
    const filters = Object.values(resources('AWS::Logs::MetricFilter'));
    expect(filters).toHaveLength(cisFilters.length);
    for (const filter of cisFilters) {
      template.hasResourceProperties('AWS::Logs::MetricFilter', {
        LogGroupName: { Ref: trailLogGroup() },
        FilterPattern: filter.pattern,
        MetricTransformations: [{ MetricNamespace: cisMetricNamespace, MetricName: filter.id, MetricValue: '1' }],
      });
    }
  });

  it('raises an alarm to the operators\' topic on each filter\'s metric', () => {
    const alarms = Object.values(resources('AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(cisFilters.length);
    for (const filter of cisFilters) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: cisMetricNamespace,
        MetricName: filter.id,
        Statistic: 'Sum',
        Period: 300,
        Threshold: filter.threshold,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: 'AlarmsTopic3A2DFEBA' }],
      });
    }
  });
});

describe('trail bucket', () => {
  it('keeps trail files under COMPLIANCE Object Lock for the audit retention (7 years = 2557 days)', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockEnabled: true,
      ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 2557 } } },
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: { ServerSideEncryptionConfiguration: [Match.objectLike({ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': ['TrailKey38EB2549', 'Arn'] } } })] },
    });
  });

  it('logs every request on the trail bucket into the access-log bucket', () => {
    expect(resources('AWS::S3::Bucket').TrailBucketA831CE63?.Properties.LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: 'AccessLogsBucketCD784A59' },
      LogFilePrefix: 'trail-bucket/',
    });
  });

  it('refuses plain HTTP and TLS below 1.2 on both buckets', () => {
    for (const bucketId of ['TrailBucketA831CE63', 'AccessLogsBucketCD784A59']) {
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: bucketId },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            Match.objectLike({ Effect: 'Deny', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
          ]),
        },
      });
    }
  });
});

describe('access-log bucket', () => {
  it('is private, versioned, SSE-S3 (S3 server access logs cannot target a KMS-encrypted bucket) and ACL-free', () => {
    const bucket = resources('AWS::S3::Bucket').AccessLogsBucketCD784A59?.Properties;
    expect(bucket).toMatchObject({
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      VersioningConfiguration: { Status: 'Enabled' },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      LifecycleConfiguration: { Rules: [expect.objectContaining({ ExpirationInDays: 2557, NoncurrentVersionExpiration: { NoncurrentDays: 2557 } })] },
    });
    expect(bucket).not.toHaveProperty('AccessControl');
  });

  it('lets the S3 logging service write only the trail bucket\'s logs of this account, under their prefix', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: 'AccessLogsBucketCD784A59' },
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Effect: 'Allow',
            Principal: { Service: 'logging.s3.amazonaws.com' },
            Action: 's3:PutObject',
            Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': ['AccessLogsBucketCD784A59', 'Arn'] }, '/trail-bucket/*']] },
            Condition: { ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': ['TrailBucketA831CE63', 'Arn'] } }, StringEquals: { 'aws:SourceAccount': '111111111111' } },
          },
        ]),
      },
    });
  });
});
