import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { BackupPlan, BackupResource } from 'aws-cdk-lib/aws-backup';
import { AttributeType, TableEncryptionV2, TableV2, type TablePropsV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { Policy } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import cdkJson from '../../cdk.json';
import { resolveStageConfig } from '../../lib/config';
import { DscFunction } from '../../lib/constructs/dsc-function';
import { createDscStacks } from '../../lib/dsc-app';
import { acknowledgeNagFinding, acknowledgementProblem, acknowledgementProblems, acknowledgementsIn } from '../../lib/nag/acknowledge';
import { addNagPacks, formatFindings, nagFindings, nagPacks } from '../../lib/nag/packs';

const specificReason = 'the function only writes its own log group, which is what the managed policy grants';

/** One synthesized app per stage, shared by the tests: synth is the slow part. Bundling is beside the point for nag. */
function synthesizedStage(stage: string): App {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  createDscStacks(app, resolveStageConfig(stage, cdkJson.context.stages), undefined);
  nagPacks(app);
  app.synth();
  return app;
}

describe.each(['dev', 'prod'])('the %s stage under AwsSolutions, HIPAA.Security, NIST.800.53.R5 and our TableV2 checks', (stage) => {
  let app: App;
  beforeAll(() => {
    app = synthesizedStage(stage);
  });

  it('has no unacknowledged finding', () => {
    const findings = nagFindings(app);
    expect(findings, `${findings.length} unacknowledged findings (pack, rule, resource):\n${formatFindings(findings)}\n`).toEqual([]);
  });

  it('acknowledges findings only on the resource concerned, each with a specific reason', () => {
    const problems = acknowledgementProblems(app);
    expect(problems, problems.join('\n')).toEqual([]);
  });

  it('grants function roles a wildcard resource for X-Ray alone, as their AwsSolutions-IAM5[Resource::*] acknowledgement says', () => {
    const functionRoles = app.node.findAll().filter((construct): construct is DscFunction => construct instanceof DscFunction);
    expect(functionRoles.length).toBeGreaterThan(0);
    for (const { node } of functionRoles) {
      const policy = node.findChild('ServiceRole').node.findChild('DefaultPolicy') as Policy;
      const { Statement } = Stack.of(policy).resolve(policy.document.toJSON()) as { Statement: { Action: string | string[]; Resource: unknown }[] };
      const wildcards = Statement.filter((statement) => [statement.Resource].flat().includes('*'));
      expect(wildcards.map((statement) => [statement.Action].flat().sort()), node.path).toEqual([['xray:PutTelemetryRecords', 'xray:PutTraceSegments']]);
    }
  });
});

describe('DscFunction', () => {
  const definition = { id: 'Fn', entry: 'lambdas/handlers/metadata.ts', description: 'a fixture', tableAccess: {}, settings: [], trigger: 'api' } as const;
  const props = (concurrency: { reservedConcurrency?: number; unreservedBecause?: string }) => {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Fixture');
    return { stack, props: { definition, environment: {}, logRetention: RetentionDays.ONE_DAY, logsKey: new Key(stack, 'Key'), ...concurrency } };
  };

  it('refuses a function with neither reserved concurrency nor the reason it may share the unreserved pool', () => {
    const { stack, props: withoutReason } = props({});
    expect(() => new DscFunction(stack, 'Fn', withoutReason)).toThrow(/Fixture\/Fn: give the function reserved concurrency, or the reason/);
  });

  it('writes only its own log group, without the managed basic execution policy', () => {
    const { stack, props: reserved } = props({ reservedConcurrency: 1 });
    const fn = new DscFunction(stack, 'Fn', reserved);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([{ Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: stack.resolve(fn.logGroup.logGroupArn) as unknown }]) },
    });
  });
});

describe('acknowledgeNagFinding', () => {
  const fixture = () => {
    const stack = new Stack(new App(), 'Fixture');
    return { stack, bucket: new Bucket(stack, 'Bucket') };
  };

  it.each([
    ['an empty reason', 'AwsSolutions-S1', '', /at least 8 words/],
    ['a label', 'AwsSolutions-S1', 'not needed', /at least 8 words/],
    ['a placeholder', 'AwsSolutions-S1', 'TODO: enable access logging on this bucket once the log bucket exists', /blanket \("TODO"\)/],
    ['a blanket scope', 'AwsSolutions-S1', 'access logs are not wanted for any resources in the whole data stack', /blanket/],
    ['a false-positive label', 'AwsSolutions-S1', 'this is a false positive of the rule on our account bucket', /blanket/],
    ['the rule restated', 'AwsSolutions-S1', 'AwsSolutions-S1 does not apply to the bucket that we create here', /restates the rule id/],
    ['an unknown pack', 'Custom-S1', specificReason, /not a bare rule id/],
  ])('refuses %s', (_case, ruleId, reason, message) => {
    const { bucket } = fixture();
    expect(() => acknowledgeNagFinding(bucket, ruleId, reason)).toThrow(message);
  });

  it('refuses to acknowledge for a whole stack or app', () => {
    const { stack } = fixture();
    expect(() => acknowledgeNagFinding(stack, 'AwsSolutions-S1', specificReason)).toThrow(/never on a whole stack \(Fixture\)/);
    expect(() => acknowledgeNagFinding(stack.node.root, 'AwsSolutions-S1', specificReason)).toThrow(/never on a whole app/);
  });

  it('records a specific acknowledgement on the resource, where the nag pack honours it', () => {
    const { bucket } = fixture();
    acknowledgeNagFinding(bucket, 'AwsSolutions-S1', 'the bucket is itself the access-log destination of the trail bucket, and logging it would loop');
    expect(acknowledgementsIn(bucket.node.root)).toEqual([
      { path: 'Fixture/Bucket', ruleId: 'AwsSolutions-S1', reason: 'the bucket is itself the access-log destination of the trail bucket, and logging it would loop' },
    ]);
    expect(nagFindings(bucket.node.root).filter((finding) => finding.ruleId === 'AwsSolutions-S1')).toEqual([]);
  });

  it('takes the Pack::Rule form that cdk synth suggests, and records the bare rule id that cdk-nag honours', () => {
    const { bucket } = fixture();
    acknowledgeNagFinding(bucket, 'AwsSolutions::AwsSolutions-S1', 'the bucket is itself the access-log destination of the trail bucket, and logging it would loop');
    expect(acknowledgementsIn(bucket.node.root).map((acknowledgement) => acknowledgement.ruleId)).toEqual(['AwsSolutions-S1']);
    expect(nagFindings(bucket.node.root).filter((finding) => finding.ruleId === 'AwsSolutions-S1')).toEqual([]);
  });

  it('acknowledges a granular finding whose id holds an ARN, by its full id (cdk-nag #2351 is fixed in this aws-cdk-lib)', () => {
    const stack = new Stack(new App(), 'Fixture');
    const fn = new LambdaFunction(stack, 'Fn', { code: Code.fromInline('export const handler = () => {}'), handler: 'index.handler', runtime: Runtime.NODEJS_24_X });
    const ruleId = 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]';
    expect(nagFindings(stack.node.root).map((finding) => finding.ruleId)).toContain(ruleId);
    acknowledgeNagFinding(fn.role!, ruleId, specificReason);
    expect(nagFindings(stack.node.root).map((finding) => finding.ruleId)).not.toContain(ruleId);
  });

  it('lists acknowledgements made around the helper that it would have refused', () => {
    const { stack, bucket } = fixture();
    Validations.of(stack).acknowledge({ id: 'AwsSolutions-S1', reason: 'logging is handled elsewhere for every bucket here' });
    Validations.of(bucket).acknowledge({ id: 'AwsSolutions-S10', reason: 'ok' });
    expect(acknowledgementProblems(stack.node.root)).toEqual([
      expect.stringMatching(/^Fixture: acknowledgements sit on the resource they concern, never on a whole stack/),
      expect.stringMatching(/^Fixture\/Bucket: the reason for AwsSolutions-S10 must say/),
    ]);
  });
});

describe('acknowledgementProblem', () => {
  it('accepts a rule id of each pack with a reason that says why the resource is safe', () => {
    for (const ruleId of ['AwsSolutions-IAM5[Resource::*]', 'HIPAA.Security-LambdaInsideVPC', 'NIST.800.53.R5-LambdaDLQ', 'Dsc-TableV2BackupSelection']) {
      expect(acknowledgementProblem(ruleId, 'functions reach only DynamoDB and KMS through AWS endpoints; no VPC resources exist')).toBeUndefined();
    }
  });
});

describe('our TableV2 checks (cdk-nag reads AWS::DynamoDB::Table only)', () => {
  const env = { region: 'ca-central-1' };
  const tableFixture = (props: Partial<TablePropsV2>, backup: 'same stack' | 'other stack' | 'none') => {
    const app = new App();
    const stack = new Stack(app, 'Data', { env });
    const table = new TableV2(stack, 'Table', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      encryption: TableEncryptionV2.customerManagedKey(new Key(stack, 'Key')),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      ...props,
    });
    if (backup !== 'none') {
      const plan = BackupPlan.daily35DayRetention(backup === 'same stack' ? stack : new Stack(app, 'Backup', { env }), 'Plan');
      plan.addSelection('Tables', { resources: [BackupResource.fromArn(table.tableArn)] });
    }
    app.synth();
    return nagFindings(app).filter((finding) => finding.pack === 'Dsc');
  };
  const rulesOf = (findings: ReturnType<typeof tableFixture>) => findings.map((finding) => `${finding.ruleId} ${finding.path}`);

  it('passes a table with PITR, a customer key and a backup selection naming it, in its stack or another', () => {
    expect(tableFixture({}, 'same stack')).toEqual([]);
    expect(tableFixture({}, 'other stack')).toEqual([]);
  });

  it('flags a table without point-in-time recovery', () => {
    expect(rulesOf(tableFixture({ pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: false } }, 'same stack'))).toEqual([
      'Dsc-TableV2PointInTimeRecovery Data/Table/Resource',
    ]);
  });

  it('flags a table under an AWS-owned or AWS-managed key', () => {
    expect(rulesOf(tableFixture({ encryption: TableEncryptionV2.dynamoOwnedKey() }, 'same stack'))).toEqual(['Dsc-TableV2CustomerManagedKey Data/Table/Resource']);
    expect(rulesOf(tableFixture({ encryption: TableEncryptionV2.awsManagedKey() }, 'same stack'))).toEqual(['Dsc-TableV2CustomerManagedKey Data/Table/Resource']);
  });

  it('flags a table that no backup selection names', () => {
    expect(rulesOf(tableFixture({}, 'none'))).toEqual(['Dsc-TableV2BackupSelection Data/Table/Resource']);
  });
});

describe('the packs as validation plugins (bin/dsc.ts)', () => {
  /** A table compliant but for its backup selection: one finding, from our own pack. */
  const appWithUnbackedTable = (acknowledged: boolean) => {
    const app = new App();
    addNagPacks(app);
    const stack = new Stack(app, 'Fixture', { env: { region: 'ca-central-1' } });
    const table = new TableV2(stack, 'Table', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      encryption: TableEncryptionV2.customerManagedKey(new Key(stack, 'Key', { enableKeyRotation: true })),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    });
    if (acknowledged) acknowledgeNagFinding(table, 'Dsc-TableV2BackupSelection', 'a scratch table of this test, restored from nothing and holding nothing');
    return app;
  };

  it('fail the synth on an unacknowledged finding, naming the rule and the resource', () => {
    expect(() => appWithUnbackedTable(false).synth()).toThrow(/Fixture\/Table\/Resource[\s\S]*Dsc-TableV2BackupSelection/);
  });

  it('let the synth through once the finding is acknowledged, and write the acknowledgement into the template', () => {
    const assembly = appWithUnbackedTable(true).synth();
    const { Resources } = assembly.getStackByName('Fixture').template as { Resources: Record<string, { Type: string; Metadata?: Record<string, unknown> }> };
    const resources = Object.values(Resources);
    const table = resources.find((resource) => resource.Type === 'AWS::DynamoDB::GlobalTable');
    expect(table?.Metadata?.cdk_nag).toEqual({ rules_to_suppress: [{ id: 'Dsc-TableV2BackupSelection', reason: 'a scratch table of this test, restored from nothing and holding nothing' }] });
  });
});
