import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import cdkJson from '../../cdk.json';
import { resolveStageConfig } from '../../lib/config';
import { createDscStacks, stageEnvironment } from '../../lib/dsc-app';

const stages = cdkJson.context.stages;
const base = { region: 'ca-west-1', authDomainPrefix: 'dsc-test', oauthCallbackUrls: ['https://app.example.org/cb'] };
const pinned = resolveStageConfig('test', { test: { ...base, account: '222222222222' } });
const unpinned = resolveStageConfig('test', { test: base });

/** Function bundling is beside the point here: skip it for every stack. */
const appWithoutBundling = () => new App({ context: { 'aws:cdk:bundling-stacks': [] } });

describe('stage environment', () => {
  it("pins the stage's account and region, whether or not the CLI has credentials", () => {
    expect(stageEnvironment(pinned, undefined)).toEqual({ account: '222222222222', region: 'ca-west-1' });
    expect(stageEnvironment(pinned, '222222222222')).toEqual({ account: '222222222222', region: 'ca-west-1' });
  });

  it("takes the CLI's account for a stage that names none, and none offline (environment-agnostic synth)", () => {
    expect(stageEnvironment(unpinned, '333333333333')).toEqual({ account: '333333333333', region: 'ca-west-1' });
    expect(stageEnvironment(unpinned, undefined)).toEqual({ account: undefined, region: 'ca-west-1' });
    expect(stageEnvironment(unpinned, '')).toEqual({ account: undefined, region: 'ca-west-1' });
  });

  it('refuses credentials for another account than the stage names, in one line naming both', () => {
    const attempt = () => stageEnvironment(pinned, '333333333333');
    expect(attempt).toThrow(/^Stage "test" is pinned to account 222222222222 but the CLI credentials are for account 333333333333[^\n]*$/);
    expect(() => createDscStacks(appWithoutBundling(), pinned, '333333333333')).toThrow(/222222222222.*333333333333/);
  });

  it("puts every stack in the stage's account and region", () => {
    const stacks = createDscStacks(appWithoutBundling(), pinned, undefined);
    for (const stack of Object.values(stacks)) expect({ account: stack.account, region: stack.region }, stack.stackName).toEqual({ account: '222222222222', region: 'ca-west-1' });
    // The account reaches the templates as a literal, e.g. the trail key's CloudTrail condition.
    Template.fromStack(stacks.security).hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: Match.objectLike({
        Statement: Match.arrayWith([
          Match.objectLike({
            Condition: { StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudtrail:*:222222222222:trail/*']] } } },
          }),
        ]),
      }),
    });
  });
});

describe('trail bucket Object Lock', () => {
  const lockModeOf = (stage: string) => {
    const stacks = createDscStacks(appWithoutBundling(), resolveStageConfig(stage, stages), '111111111111');
    return Template.fromStack(stacks.security);
  };

  it('is COMPLIANCE on the production stage of cdk.json, for its auditRetentionYears (7 years: 2557 days)', () => {
    expect(resolveStageConfig('prod', stages).production).toBe(true);
    lockModeOf('prod').hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockEnabled: true,
      ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 2557 } } },
    });
  });

  it('is GOVERNANCE on the development stage, for the default one year (366 days: a leap year included)', () => {
    expect(resolveStageConfig('dev', stages).production).toBe(false);
    lockModeOf('dev').hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockEnabled: true,
      ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 366 } } },
    });
  });
});
