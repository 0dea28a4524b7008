import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import cdkJson from '../../cdk.json';
import { functions } from '../../lambdas/contracts/functions';
import { resolveStageConfig } from '../../lib/config';
import { createDscStacks } from '../../lib/dsc-app';
import { DataStack } from '../../lib/stacks/data-stack';
import { SecurityStack } from '../../lib/stacks/security-stack';

/**
 * The data stack's compliance controls. TableV2 synthesizes to AWS::DynamoDB::GlobalTable, which
 * cdk-nag's DynamoDB rules never inspect: PITR, deletion protection, the customer key, RETAIN and
 * the backup selection are asserted here instead.
 */

interface Resource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
  readonly DeletionPolicy?: string;
}

const env = { account: '111111111111', region: 'ca-central-1' };
const backup = { dailyRetentionDays: 35, monthlyRetentionDays: 365 };

function dataTemplate(production: boolean): Template {
  const app = new App();
  const security = new SecurityStack(app, 'Security', { env, trailObjectLockMode: production ? 'COMPLIANCE' : 'GOVERNANCE', auditRetentionYears: 7 });
  const data = new DataStack(app, 'Data', {
    env,
    dataKey: security.dataKey,
    trailBucket: security.trailBucket,
    trailKey: security.trailKey,
    production,
    auditRetentionYears: 7,
    backup,
  });
  return Template.fromStack(data);
}

let template: Template;
beforeAll(() => {
  template = dataTemplate(true);
});

const resources = (type: string, from = template) => from.findResources(type) as Record<string, Resource>;
const tableIds = () => Object.keys(resources('AWS::DynamoDB::GlobalTable')).sort();

describe('stateful logical ids', () => {
  it('pins the tables, the backup key and vault, and the journal archive, attachments and access-log buckets (a change would replace them)', () => {
    expect(tableIds()).toEqual(['AuditTable6B25623D', 'RecordTable56F51CD3']);
    expect(Object.keys(resources('AWS::KMS::Key'))).toEqual(['BackupsKeyC696F888']);
    expect(Object.keys(resources('AWS::Backup::BackupVault'))).toEqual(['BackupsVault1F11AFCC']);
    expect(Object.keys(resources('AWS::S3::Bucket')).sort()).toEqual(['AccessLogsBucketCD784A59', 'AttachmentsBucket28B3CCF2', 'JournalArchiveBucket1032EDC1']);
  });

  it('retains every table, key, vault and bucket if the stack is deleted', () => {
    for (const type of ['AWS::DynamoDB::GlobalTable', 'AWS::KMS::Key', 'AWS::Backup::BackupVault', 'AWS::S3::Bucket']) {
      for (const [id, resource] of Object.entries(resources(type))) expect(resource.DeletionPolicy, id).toBe('Retain');
    }
  });
});

describe('tables (checked here: nag does not see GlobalTable)', () => {
  it('keeps point-in-time recovery and deletion protection on, and encrypts with the data key (SSE-KMS)', () => {
    for (const [id, table] of Object.entries(resources('AWS::DynamoDB::GlobalTable'))) {
      expect(table.Properties.SSESpecification, id).toEqual({ SSEEnabled: true, SSEType: 'KMS' });
      expect(table.Properties.Replicas, id).toEqual([
        expect.objectContaining({
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          DeletionProtectionEnabled: true,
          SSESpecification: { KMSMasterKeyId: { 'Fn::ImportValue': expect.stringContaining('DataKey') as string } },
        }),
      ]);
    }
  });

  it('streams new audit entries (NEW_IMAGE) to the journal archiver', () => {
    expect(resources('AWS::DynamoDB::GlobalTable').AuditTable6B25623D?.Properties.StreamSpecification).toEqual({ StreamViewType: 'NEW_IMAGE' });
  });
});

describe('AWS Backup', () => {
  it('selects both the record and the audit table', () => {
    const selections = Object.values(resources('AWS::Backup::BackupSelection'));
    expect(selections).toHaveLength(1);
    expect(selections[0]?.Properties.BackupSelection).toMatchObject({
      Resources: [{ 'Fn::GetAtt': ['RecordTable56F51CD3', 'Arn'] }, { 'Fn::GetAtt': ['AuditTable6B25623D', 'Arn'] }],
    });
  });

  it('backs up daily and monthly into the vault, keeping each for the retention of the stage config', () => {
    template.hasResourceProperties('AWS::Backup::BackupPlan', {
      BackupPlan: {
        BackupPlanName: 'Data-tables',
        BackupPlanRule: [
          { RuleName: 'Daily', ScheduleExpression: 'cron(0 5 * * ? *)', Lifecycle: { DeleteAfterDays: 35 }, TargetBackupVault: { 'Fn::GetAtt': ['BackupsVault1F11AFCC', 'BackupVaultName'] } },
          { RuleName: 'Monthly', ScheduleExpression: 'cron(0 5 1 * ? *)', Lifecycle: { DeleteAfterDays: 365 }, TargetBackupVault: { 'Fn::GetAtt': ['BackupsVault1F11AFCC', 'BackupVaultName'] } },
        ],
      },
    });
  });

  it('encrypts the vault with its own rotated key, and denies deleting a recovery point or shortening its lifecycle to everyone', () => {
    template.hasResourceProperties('AWS::Backup::BackupVault', {
      EncryptionKeyArn: { 'Fn::GetAtt': ['BackupsKeyC696F888', 'Arn'] },
      AccessPolicy: { Statement: [{ Effect: 'Deny', Principal: { AWS: '*' }, Action: ['backup:DeleteRecoveryPoint', 'backup:UpdateRecoveryPointLifecycle'], Resource: '*' }] },
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('locks the vault in compliance mode on production: ChangeableForDays makes the lock immutable after three days', () => {
    template.hasResourceProperties('AWS::Backup::BackupVault', { LockConfiguration: { MinRetentionDays: 35, ChangeableForDays: 3 } });
  });

  it('locks the vault in governance mode elsewhere: a minimum retention, no lock date', () => {
    dataTemplate(false).hasResourceProperties('AWS::Backup::BackupVault', { LockConfiguration: { MinRetentionDays: 35, ChangeableForDays: Match.absent() } });
  });
});

describe('journal archive bucket', () => {
  const archive = () => resources('AWS::S3::Bucket').JournalArchiveBucket1032EDC1?.Properties;

  it('keeps every object version under COMPLIANCE Object Lock for the audit retention, on every stage', () => {
    for (const from of [template, dataTemplate(false)]) {
      expect(resources('AWS::S3::Bucket', from).JournalArchiveBucket1032EDC1?.Properties).toMatchObject({
        ObjectLockEnabled: true,
        ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 2557 } } },
        VersioningConfiguration: { Status: 'Enabled' },
      });
    }
  });

  it('encrypts with the data key, is private, and logs its requests to the access-log bucket', () => {
    expect(archive()).toMatchObject({
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ BucketKeyEnabled: true, ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::ImportValue': expect.stringContaining('DataKey') as string } } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LoggingConfiguration: { DestinationBucketName: { Ref: 'AccessLogsBucketCD784A59' }, LogFilePrefix: 'journal-archive/' },
    });
  });

  it('refuses plain HTTP', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: 'JournalArchiveBucket1032EDC1' },
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });
});

describe('journal archiver wiring (API stack)', () => {
  let api: Template;
  beforeAll(() => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stacks = createDscStacks(app, resolveStageConfig('prod', cdkJson.context.stages), '111111111111');
    api = Template.fromStack(stacks.api);
  });
  const archiverRole = () => {
    const fns = Object.entries(api.findResources('AWS::Lambda::Function') as Record<string, Resource>).filter(([id]) => id.startsWith(functions.journalArchiver.id));
    expect(fns).toHaveLength(1);
    return (fns[0]?.[1].Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  };

  it('triggers the archiver from the audit table stream, whole batches retried until they succeed', () => {
    api.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::ImportValue': Match.stringLikeRegexp('AuditTable.*StreamArn') },
      FunctionName: { Ref: Match.stringLikeRegexp(`^${functions.journalArchiver.id}`) },
      StartingPosition: 'TRIM_HORIZON',
      MaximumRetryAttempts: -1,
      BisectBatchOnFunctionError: false,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp(`^${functions.journalArchiver.id}DeadLetters`), 'Arn'] } } },
    });
  });

  it('lets the archiver put archive objects, encrypt with the data key only through S3, and do nothing on the tables', () => {
    const role = archiverRole();
    const policies = Object.values(api.findResources('AWS::IAM::Policy') as Record<string, Resource>).filter((policy) => JSON.stringify(policy.Properties.Roles).includes(role));
    const statements = policies.flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement);
    const named = (sid: string) => statements.find((statement) => statement.Sid === sid);
    expect(named('PutJournalArchiveObjects')).toMatchObject({
      Effect: 'Allow',
      Action: 's3:PutObject',
      Resource: { 'Fn::Join': ['', [{ 'Fn::ImportValue': expect.stringContaining('JournalArchiveBucket') as string }, '/journal/*']] },
    });
    expect(named('ArchiveKeyOnlyThroughS3')).toMatchObject({ Action: 'kms:GenerateDataKey', Condition: { StringEquals: { 'kms:ViaService': 's3.ca-central-1.amazonaws.com' } } });
    // Its failed batches go to its own dead-letter queue, whose key it may use only to send, through SQS.
    expect(named('DeadLetterKeyOnlyThroughSqs')).toMatchObject({ Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Condition: { StringEquals: { 'kms:ViaService': 'sqs.ca-central-1.amazonaws.com' } } });
    // Besides the S3 statement, the only data key grant is the stream read CDK's event source gives (Decrypt, DescribeKey).
    const keyStatements = statements.filter((statement) => JSON.stringify(statement.Action).includes('kms:') && statement.Sid !== 'DeadLetterKeyOnlyThroughSqs');
    expect(keyStatements.map((statement) => statement.Action)).toEqual([['kms:Decrypt', 'kms:DescribeKey'], 'kms:GenerateDataKey']);
    const actions = statements.flatMap((statement) => [statement.Action].flat() as string[]);
    expect(actions.filter((action) => action.startsWith('s3:'))).toEqual(['s3:PutObject']);
    // Reading the stream is all it does with DynamoDB: no item action on any table.
    expect(actions.filter((action) => action.startsWith('dynamodb:')).sort()).toEqual(['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams']);
  });
});
