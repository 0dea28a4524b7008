/**
 * The controls the compliance report covers, as data: for each, the template resources and the
 * property paths that satisfy it, the nag rules that check it, and the code that enforces what a
 * template cannot show. `npm run compliance` extracts every path from the synthesized prod
 * templates; a path or resource that is absent is reported MISSING, so a change elsewhere shows up
 * here rather than silently passing.
 *
 * A path is relative to the template resource (`Properties.X`, `DeletionPolicy`); `*` stands for
 * every element of a list (or value of a map) at that point, `*[Key=value]` those whose `Key` is that string.
 */
export interface PropertyCheck {
  readonly path: string;
  /** A value every extracted occurrence must equal; without it, presence is what the control asks. */
  readonly expected?: unknown;
}

export interface ResourceCheck {
  /** CloudFormation resource type. */
  readonly type: string;
  /** Narrows the type to the resources whose logical id matches, e.g. the trail bucket among buckets. */
  readonly logicalId?: RegExp;
  /** What these resources are, for the reader. */
  readonly role: string;
  readonly properties: readonly PropertyCheck[];
}

export interface Control {
  readonly id: string;
  readonly title: string;
  /** What the control is, in one or two sentences. */
  readonly summary: string;
  readonly resources: readonly ResourceCheck[];
  /** Nag rule ids (with their pack prefix) that check this control; none for application logic. */
  readonly nagRules?: RegExp;
  /** Repository files that enforce what a template cannot show (application logic). */
  readonly code: readonly string[];
}

const retained = { path: 'DeletionPolicy', expected: 'Retain' } as const;

export const controls: readonly Control[] = [
  {
    id: 'encryption-at-rest',
    title: 'Encryption at rest',
    summary: 'Health data, logs and trail files are encrypted with customer-managed KMS keys, separated by purpose, with automatic rotation.',
    resources: [
      { type: 'AWS::KMS::Key', role: 'customer-managed keys', properties: [{ path: 'Properties.Description' }, { path: 'Properties.EnableKeyRotation', expected: true }] },
      {
        type: 'AWS::DynamoDB::GlobalTable',
        role: 'record and audit tables',
        properties: [
          { path: 'Properties.SSESpecification.SSEEnabled', expected: true },
          { path: 'Properties.SSESpecification.SSEType', expected: 'KMS' },
          { path: 'Properties.Replicas.*.SSESpecification.KMSMasterKeyId' },
        ],
      },
      { type: 'AWS::S3::Bucket', role: 'buckets', properties: [{ path: 'Properties.BucketEncryption.ServerSideEncryptionConfiguration.*.ServerSideEncryptionByDefault.SSEAlgorithm' }] },
      {
        type: 'AWS::S3::Bucket',
        // S3 server access logs can only be delivered to an SSE-S3 bucket: the access-log buckets are the exception.
        logicalId: /^(?!AccessLogsBucket)/,
        role: 'buckets holding evidence or data',
        properties: [
          { path: 'Properties.BucketEncryption.ServerSideEncryptionConfiguration.*.ServerSideEncryptionByDefault.SSEAlgorithm', expected: 'aws:kms' },
          { path: 'Properties.BucketEncryption.ServerSideEncryptionConfiguration.*.ServerSideEncryptionByDefault.KMSMasterKeyID' },
        ],
      },
      { type: 'AWS::Logs::LogGroup', role: 'log groups', properties: [{ path: 'Properties.KmsKeyId' }] },
      { type: 'AWS::SNS::Topic', role: 'alarm topic', properties: [{ path: 'Properties.KmsMasterKeyId' }] },
      { type: 'AWS::Backup::BackupVault', role: 'backup vault', properties: [{ path: 'Properties.EncryptionKeyArn' }] },
    ],
    nagRules: /-(KMS5|KMSBackingKeyRotationEnabled|S3DefaultEncryptionKMS|CloudWatchLogGroupEncrypted|CloudTrailEncryptionEnabled|SNSEncryptedKMS|TableV2CustomerManagedKey|APIGWCacheEnabledAndEncrypted)\b/,
    code: ['lib/stacks/security-stack.ts', 'lib/constructs/record-table.ts'],
  },
  {
    id: 'encryption-in-transit',
    title: 'Encryption in transit',
    summary: 'TLS 1.2 or higher on the API; buckets refuse plain HTTP and older TLS.',
    resources: [
      { type: 'AWS::ApiGateway::RestApi', role: 'FHIR REST API', properties: [{ path: 'Properties.SecurityPolicy' }] },
      {
        type: 'AWS::S3::BucketPolicy',
        role: 'bucket policies',
        properties: [{ path: 'Properties.PolicyDocument.Statement.*.Condition.Bool.aws:SecureTransport', expected: 'false' }, { path: 'Properties.PolicyDocument.Statement.*.Condition.NumericLessThan.s3:TlsVersion' }],
      },
    ],
    nagRules: /-(S10|S3BucketSSLRequestsOnly|APIGWSSLEnabled|SNS3)\b/,
    code: ['lambdas/contracts/security-headers.ts'],
  },
  {
    id: 'authentication-mfa',
    title: 'Authentication and MFA',
    summary: 'Staff sign in through Cognito with a required second factor; only administrators create accounts; every API method needs a Cognito token.',
    resources: [
      {
        type: 'AWS::Cognito::UserPool',
        role: 'staff user pool',
        properties: [
          { path: 'Properties.MfaConfiguration', expected: 'ON' },
          { path: 'Properties.EnabledMfas' },
          { path: 'Properties.Policies.PasswordPolicy.MinimumLength' },
          { path: 'Properties.AdminCreateUserConfig.AllowAdminCreateUserOnly', expected: true },
          { path: 'Properties.UserPoolTier' },
          { path: 'Properties.UserPoolAddOns.AdvancedSecurityMode' },
          { path: 'Properties.DeletionProtection', expected: 'ACTIVE' },
        ],
      },
      {
        type: 'AWS::Cognito::UserPoolClient',
        logicalId: /WebClient/,
        role: 'browser client',
        properties: [{ path: 'Properties.GenerateSecret', expected: false }, { path: 'Properties.AllowedOAuthFlows' }, { path: 'Properties.AccessTokenValidity' }, { path: 'Properties.RefreshTokenValidity' }],
      },
      { type: 'AWS::ApiGateway::Authorizer', role: 'API authorizer', properties: [{ path: 'Properties.Type' }] },
    ],
    nagRules: /-(COG\d+|APIG4)\b/,
    code: ['lib/stacks/auth-stack.ts', 'lambdas/contracts/auth.ts', 'lambdas/access/principal.ts'],
  },
  {
    id: 'least-privilege',
    title: 'Least privilege',
    summary: 'Each function role holds only the table and key actions its routes need; the data key is usable only through DynamoDB.',
    resources: [
      { type: 'AWS::IAM::Policy', role: 'function and service policies', properties: [{ path: 'Properties.PolicyDocument.Statement.*.Action' }] },
      { type: 'AWS::KMS::Key', role: 'key policies', properties: [{ path: 'Properties.KeyPolicy.Statement.*.Principal' }] },
      { type: 'AWS::KMS::Key', logicalId: /^DataKey/, role: 'data key: usable only through DynamoDB', properties: [{ path: 'Properties.KeyPolicy.Statement.*.Condition' }] },
    ],
    nagRules: /-(IAM4|IAM5|IAMNoInlinePolicy|IAMPolicyNoStatementsWithAdminAccess|IAMPolicyNoStatementsWithFullAccess|LambdaFunctionPublicAccessProhibited)\b/,
    code: ['lambdas/contracts/functions.ts', 'lib/stacks/api-stack.ts'],
  },
  {
    id: 'audit-logging',
    title: 'Audit logging and the access journal',
    summary:
      'A multi-region trail with log file validation, KMS and CloudWatch Logs, writing to an Object-Locked bucket; data events on the tables; API access logs; and the access journal, an append-only table no function can alter.',
    resources: [
      {
        type: 'AWS::CloudTrail::Trail',
        role: 'trails',
        properties: [
          { path: 'Properties.EnableLogFileValidation', expected: true },
          { path: 'Properties.KMSKeyId' },
          { path: 'Properties.IsMultiRegionTrail' },
        ],
      },
      { type: 'AWS::CloudTrail::Trail', logicalId: /^Trail/, role: 'account trail, read by the CIS metric filters', properties: [{ path: 'Properties.CloudWatchLogsLogGroupArn' }] },
      { type: 'AWS::CloudTrail::Trail', logicalId: /DataEvents/, role: 'data-event trail', properties: [{ path: 'Properties.AdvancedEventSelectors.*.FieldSelectors' }] },
      {
        type: 'AWS::S3::Bucket',
        logicalId: /^TrailBucket/,
        role: 'trail bucket',
        properties: [
          { path: 'Properties.ObjectLockEnabled', expected: true },
          { path: 'Properties.ObjectLockConfiguration.Rule.DefaultRetention.Mode', expected: 'COMPLIANCE' },
          { path: 'Properties.VersioningConfiguration.Status', expected: 'Enabled' },
          { path: 'Properties.PublicAccessBlockConfiguration' },
          { path: 'Properties.LoggingConfiguration.DestinationBucketName' },
        ],
      },
      { type: 'AWS::ApiGateway::Stage', role: 'API stage', properties: [{ path: 'Properties.AccessLogSetting.Format' }, { path: 'Properties.MethodSettings.*.LoggingLevel' }] },
      { type: 'AWS::WAFv2::LoggingConfiguration', role: 'WAF logging', properties: [{ path: 'Properties.RedactedFields' }] },
      {
        type: 'AWS::DynamoDB::GlobalTable',
        logicalId: /^AuditTable/,
        role: 'access journal (audit table)',
        properties: [{ path: 'Properties.Replicas.*.ResourcePolicy.PolicyDocument.Statement.*.Action' }, { path: 'Properties.Replicas.*.ResourcePolicy.PolicyDocument.Statement.*.Effect', expected: 'Deny' }],
      },
    ],
    nagRules: /-(S1|APIG1|APIG6|CloudTrail\w+|S3BucketLoggingEnabled|APIGWExecutionLoggingEnabled|WAFv2LoggingEnabled)\b/,
    code: ['lambdas/record/access-recorder.ts', 'lambdas/audit/access-journal.ts', 'lambdas/audit/dynamodb-access-journal.ts', 'lambdas/handlers/journal-archiver.ts', 'lib/stacks/data-stack.ts'],
  },
  {
    id: 'backup-recovery',
    title: 'Backup, recovery and ransomware resilience',
    summary:
      'Point-in-time recovery, deletion protection and retention on the tables; AWS Backup daily and monthly into a vault locked in compliance mode; the journal copied to an Object-Locked bucket that survives a table restore.',
    resources: [
      {
        type: 'AWS::DynamoDB::GlobalTable',
        role: 'record and audit tables',
        properties: [
          { path: 'Properties.Replicas.*.PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled', expected: true },
          { path: 'Properties.Replicas.*.DeletionProtectionEnabled', expected: true },
          retained,
        ],
      },
      { type: 'AWS::Backup::BackupVault', role: 'backup vault', properties: [{ path: 'Properties.LockConfiguration.MinRetentionDays' }, { path: 'Properties.LockConfiguration.ChangeableForDays' }, retained] },
      {
        type: 'AWS::Backup::BackupPlan',
        role: 'backup plan',
        properties: [{ path: 'Properties.BackupPlan.BackupPlanRule.*.ScheduleExpression' }, { path: 'Properties.BackupPlan.BackupPlanRule.*.Lifecycle.DeleteAfterDays' }],
      },
      { type: 'AWS::Backup::BackupSelection', role: 'backup selection', properties: [{ path: 'Properties.BackupSelection.Resources' }] },
      { type: 'AWS::S3::Bucket', role: 'buckets', properties: [{ path: 'Properties.VersioningConfiguration.Status', expected: 'Enabled' }, retained] },
    ],
    nagRules: /-(DDB3|DynamoDBPITREnabled|DynamoDBInBackupPlan|TableV2PointInTimeRecovery|TableV2BackupSelection|S3BucketVersioningEnabled|S3BucketReplicationEnabled)\b/,
    code: ['lib/constructs/record-table.ts', 'docs/runbook.md'],
  },
  {
    id: 'waf-rate-limiting',
    title: 'WAF and rate limiting',
    summary: 'A web ACL with blocking managed rule groups, a per-IP rate limit, a body size limit; API Gateway throttling.',
    resources: [
      {
        type: 'AWS::WAFv2::WebACL',
        role: 'web ACLs',
        properties: [
          { path: 'Properties.DefaultAction' },
          { path: 'Properties.Rules.*.Name' },
          { path: 'Properties.Rules.*.OverrideAction' },
          { path: 'Properties.Rules.*.Statement.RateBasedStatement.Limit' },
          { path: 'Properties.DataProtectionConfig' },
        ],
      },
      { type: 'AWS::WAFv2::WebACL', logicalId: /^WebAcl/, role: 'API web ACL: body size limit', properties: [{ path: 'Properties.Rules.*[Name=BodyOverApiLimit].Statement' }] },
      { type: 'AWS::WAFv2::WebACLAssociation', role: 'web ACL associations', properties: [{ path: 'Properties.ResourceArn' }] },
      { type: 'AWS::ApiGateway::Stage', role: 'API stage', properties: [{ path: 'Properties.MethodSettings.*.ThrottlingRateLimit' }, { path: 'Properties.MethodSettings.*.ThrottlingBurstLimit' }] },
    ],
    nagRules: /-(APIG3|APIGWAssociatedWithWAF|WAFv2LoggingEnabled)\b/,
    code: ['lib/constructs/fhir-web-acl.ts', 'lambdas/contracts/request-limits.ts'],
  },
  {
    id: 'data-residency',
    title: 'Data residency',
    summary: 'Every stack, table replica and replication target is in a Canadian region (see the stacks table above).',
    resources: [
      { type: 'AWS::DynamoDB::GlobalTable', role: 'table replicas', properties: [{ path: 'Properties.Replicas.*.Region' }] },
      { type: 'AWS::S3::Bucket', logicalId: /^TrailBucket/, role: 'trail bucket replication', properties: [{ path: 'Properties.ReplicationConfiguration.Rules.*.Destination.Bucket' }] },
    ],
    nagRules: /-(S3BucketReplicationEnabled)\b/,
    code: ['lib/config.ts'],
  },
  {
    id: 'retention',
    title: 'Retention',
    summary: 'Log groups expire on the configured schedule; trail files and the journal archive are kept under Object Lock; stateful resources are retained when a stack is deleted.',
    resources: [
      { type: 'AWS::Logs::LogGroup', role: 'log groups', properties: [{ path: 'Properties.RetentionInDays' }] },
      { type: 'AWS::S3::Bucket', logicalId: /^(TrailBucket|JournalArchiveBucket)/, role: 'Object-Locked evidence buckets', properties: [{ path: 'Properties.ObjectLockConfiguration.Rule.DefaultRetention.Days' }] },
      { type: 'AWS::KMS::Key', role: 'keys', properties: [retained] },
    ],
    nagRules: /-(CloudWatchLogGroupRetentionPeriod)\b/,
    code: ['lib/dsc-app.ts'],
  },
  {
    id: 'monitoring-alarms',
    title: 'Monitoring and alarms',
    summary: 'CIS metric filters on the trail, alarms on the API, functions, tables, WAF, sign-in failures and every break-glass, to a KMS-encrypted SNS topic; tracing on the API and functions.',
    resources: [
      { type: 'AWS::Logs::MetricFilter', role: 'CIS metric filters', properties: [{ path: 'Properties.FilterPattern' }, { path: 'Properties.MetricTransformations.*.MetricName' }] },
      { type: 'AWS::CloudWatch::Alarm', role: 'alarms', properties: [{ path: 'Properties.AlarmDescription' }, { path: 'Properties.AlarmActions' }] },
      { type: 'AWS::SNS::Subscription', role: 'alarm subscriptions', properties: [{ path: 'Properties.Protocol' }] },
      { type: 'AWS::CloudWatch::Dashboard', role: 'operators dashboard', properties: [{ path: 'Properties.DashboardBody' }] },
      { type: 'AWS::Lambda::Function', role: 'functions', properties: [{ path: 'Properties.TracingConfig.Mode', expected: 'Active' }, { path: 'Properties.MemorySize' }, { path: 'Properties.Timeout' }] },
      { type: 'AWS::ApiGateway::Stage', role: 'API stage', properties: [{ path: 'Properties.TracingEnabled', expected: true }] },
    ],
    nagRules: /-(CloudWatchAlarmAction|APIGWXrayEnabled|LambdaConcurrency|LambdaDLQ)\b/,
    code: ['lambdas/platform/http.ts'],
  },
  {
    id: 'lrsss-break-glass',
    title: 'LRSSS restrictions and break-glass',
    summary:
      'Access by role and data category, patient restrictions (Consent) enforced on every read and search, break-glass allowed with a reason, flagged in the journal and alarmed. Application logic: see the code; the templates show the audit role and alarm.',
    resources: [
      { type: 'AWS::IAM::Role', logicalId: /^AuditBreakGlassRole/, role: 'audit break-glass role', properties: [{ path: 'Properties.MaxSessionDuration' }, { path: 'Properties.AssumeRolePolicyDocument.Statement.*.Condition' }] },
      { type: 'AWS::CloudWatch::Alarm', logicalId: /BreakGlass/, role: 'break-glass alarm', properties: [{ path: 'Properties.AlarmDescription' }, { path: 'Properties.AlarmActions' }] },
    ],
    code: ['lambdas/access/policy.ts', 'lambdas/access/restrictions.ts', 'lambdas/access/break-glass.ts', 'lambdas/access/roles.ts', 'lambdas/record/access-recorder.ts', 'docs/role-matrix.md'],
  },
];
