import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { controls } from '../../lib/nag/controls';
import { buildReport, generateReport, renderMarkdown, reportFiles, valuesAt, type SynthesizedStack } from '../../scripts/compliance-report';

describe('valuesAt', () => {
  const resource = { Properties: { Replicas: [{ Region: 'ca-central-1', Sse: { Key: 'k1' } }, { Region: 'ca-west-1' }], Tags: { a: 1, b: 2 } } };

  it('reads a dotted path, fanning out over lists and maps at *', () => {
    expect(valuesAt(resource, 'Properties.Replicas.*.Region')).toEqual(['ca-central-1', 'ca-west-1']);
    expect(valuesAt(resource, 'Properties.Replicas.*.Sse.Key')).toEqual(['k1']);
    expect(valuesAt(resource, 'Properties.Tags.*')).toEqual([1, 2]);
  });

  it('keeps the elements whose key has a given value at *[Key=value]', () => {
    const acl = { Properties: { Rules: [{ Name: 'RateLimitPerIp', Priority: 0 }, { Name: 'BodyOverApiLimit', Priority: 1 }] } };
    expect(valuesAt(acl, 'Properties.Rules.*[Name=BodyOverApiLimit].Priority')).toEqual([1]);
    expect(valuesAt(acl, 'Properties.Rules.*[Name=Absent].Priority')).toEqual([]);
  });

  it('finds nothing where the path is absent, including false-y values only when present', () => {
    expect(valuesAt(resource, 'Properties.Missing.Region')).toEqual([]);
    expect(valuesAt({ Properties: { Enabled: false } }, 'Properties.Enabled')).toEqual([false]);
  });
});

describe('buildReport', () => {
  /** A prod-like stack with a compliant trail, a trail bucket in GOVERNANCE mode, and one acknowledged finding. */
  const stacks: SynthesizedStack[] = [
    {
      stackName: 'Dsc-prod-Security',
      region: 'ca-central-1',
      account: 'unknown-account',
      template: {
        Resources: {
          Trail1: { Type: 'AWS::CloudTrail::Trail', Properties: { EnableLogFileValidation: true, KMSKeyId: { 'Fn::GetAtt': ['TrailKey', 'Arn'] } } },
          TrailBucketA1: {
            Type: 'AWS::S3::Bucket',
            Properties: { ObjectLockEnabled: true, ObjectLockConfiguration: { Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 365 } } } },
            Metadata: { cdk_nag: { rules_to_suppress: [{ id: 'AwsSolutions-S1', reason: 'the access-log bucket cannot log to itself without a loop' }] } },
          },
        } as SynthesizedStack['template']['Resources'],
      },
    },
  ];
  const findings = [{ pack: 'HIPAA.Security', ruleId: 'HIPAA.Security-LambdaDLQ', path: 'Dsc-prod-Api/Fn/Resource', severity: 'error', description: 'no DLQ' }];
  const report = buildReport('prod', stacks, findings);
  const audit = report.controls.find((control) => control.id === 'audit-logging');
  const trailProperty = (property: string) =>
    audit?.resources.filter((resource) => resource.logicalId === 'Trail1').flatMap((resource) => resource.properties).find((result) => result.path === property);

  it('extracts the properties that satisfy a control from the templates', () => {
    expect(trailProperty('Properties.EnableLogFileValidation')).toEqual({ path: 'Properties.EnableLogFileValidation', values: [true], expected: true, status: 'ok' });
    expect(trailProperty('Properties.KMSKeyId')).toEqual({ path: 'Properties.KMSKeyId', values: [{ 'Fn::GetAtt': ['TrailKey', 'Arn'] }], status: 'ok' });
  });

  it('marks an absent property MISSING, a wrong value MISMATCH, and a resource type absent from the templates', () => {
    expect(trailProperty('Properties.CloudWatchLogsLogGroupArn')?.status).toBe('MISSING');
    expect(report.gaps).toContain('audit-logging: Dsc-prod-Security/TrailBucketA1 Properties.ObjectLockConfiguration.Rule.DefaultRetention.Mode: MISMATCH (expected "COMPLIANCE")');
    expect(report.gaps).toContain('backup-recovery: no AWS::Backup::BackupVault (backup vault) in the templates: MISSING');
    const markdown = renderMarkdown(report);
    expect(markdown).toContain('| `Dsc-prod-Security/Trail1` | AWS::CloudTrail::Trail | `Properties.CloudWatchLogsLogGroupArn` | **MISSING** |');
    expect(markdown).toContain('`GOVERNANCE` **MISMATCH** (expected `COMPLIANCE`)');
  });

  it('lists acknowledgements from the template Metadata with their reasons, under the control their rule concerns', () => {
    const acknowledgement = { pack: 'AwsSolutions', ruleId: 'AwsSolutions-S1', stack: 'Dsc-prod-Security', logicalId: 'TrailBucketA1', type: 'AWS::S3::Bucket', reason: 'the access-log bucket cannot log to itself without a loop' };
    expect(report.acknowledgements).toEqual([acknowledgement]);
    expect(audit?.acknowledgements).toEqual([acknowledgement]);
    expect(report.packs).toContainEqual({ pack: 'AwsSolutions', unacknowledgedFindings: 0, acknowledgements: 1 });
  });

  it('counts findings by pack and keeps those no control names in a list of their own', () => {
    expect(report.packs).toContainEqual({ pack: 'HIPAA.Security', unacknowledgedFindings: 1, acknowledgements: 0 });
    expect(report.controls.find((control) => control.id === 'monitoring-alarms')?.findings).toEqual(findings);
    expect(buildReport('prod', stacks, [{ ...findings[0]!, ruleId: 'HIPAA.Security-EC2IMDSv2Enabled' }]).otherFindings).toHaveLength(1);
  });
});

describe('the control table', () => {
  it('links each control to code files that exist', () => {
    const root = path.resolve(__dirname, '..', '..');
    const broken = controls.flatMap((control) => control.code.filter((file) => !existsSync(path.join(root, file))).map((file) => `${control.id}: ${file}`));
    expect(broken).toEqual([]);
  });
});

describe('docs/compliance/report.md and report.json', () => {
  let generated: ReturnType<typeof generateReport>;
  beforeAll(() => {
    generated = generateReport();
  });

  it('match the prod templates (run `npm run compliance` after changing a stack or lib/nag/controls.ts)', () => {
    expect(readFileSync(reportFiles.markdown, 'utf8')).toBe(generated.markdown);
    expect(readFileSync(reportFiles.json, 'utf8')).toBe(generated.json);
  });

  it('are the same on a second generation: no dates, asset hashes or unsorted lists', () => {
    expect(generateReport()).toEqual(generated);
  });
});
