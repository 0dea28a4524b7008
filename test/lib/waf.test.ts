import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Key } from 'aws-cdk-lib/aws-kms';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gatewayResponses } from '../../lambdas/contracts/gateway-responses';
import { maxRequestBodyBytes } from '../../lambdas/contracts/request-limits';
import { securityHeaders } from '../../lambdas/contracts/security-headers';
import { decimalAbovePattern, FhirWebAcl, type FhirWebAclProps } from '../../lib/constructs/fhir-web-acl';

interface Rule {
  readonly Name: string;
  readonly Priority: number;
  readonly Action?: { readonly Block?: { readonly CustomResponse?: { readonly ResponseCode: number; readonly CustomResponseBodyKey: string; readonly ResponseHeaders: readonly { Name: string; Value: string }[] } } };
  readonly OverrideAction?: unknown;
  readonly Statement: Record<string, Record<string, unknown> | undefined>;
}

interface WebAclProperties {
  readonly Rules: readonly Rule[];
  readonly CustomResponseBodies: Readonly<Record<string, { readonly ContentType: string; readonly Content: string }>>;
  readonly VisibilityConfig: { readonly MetricName: string };
}

/** One web ACL in a stack of its own: no functions to bundle, so each case synthesizes in milliseconds. */
function synth(overrides: Partial<Omit<FhirWebAclProps, 'logsKey'>> = {}) {
  const stack = new Stack(new App(), 'Dsc-test-Api', { env: { account: '111111111111', region: 'ca-central-1' } });
  const acl = new FhirWebAcl(stack, 'WebAcl', {
    stageArn: 'arn:aws:apigateway:ca-central-1::/restapis/abc/stages/r4',
    rateLimitPer5Minutes: 3000,
    maxBodyBytes: maxRequestBodyBytes,
    allowedCountries: [],
    allowedIpRanges: [],
    logRetention: RetentionDays.ONE_YEAR,
    logsKey: new Key(stack, 'LogsKey'),
    ...overrides,
  });
  const template = Template.fromStack(stack);
  const [webAcl] = Object.values(template.findResources('AWS::WAFv2::WebACL')) as { Properties: WebAclProperties }[];
  if (!webAcl) throw new Error('no web ACL');
  return { template, acl, properties: webAcl.Properties, rule: (name: string) => webAcl.Properties.Rules.find((rule) => rule.Name === name) };
}

describe('the FHIR API web ACL', () => {
  it('blocks with every AWS managed group (Common, KnownBadInputs, SQLi, IP reputation), counting only the two rules FHIR bodies trip by design', () => {
    const { properties } = synth();
    const managed = properties.Rules.filter((rule) => rule.Statement.ManagedRuleGroupStatement);
    expect(managed.map((rule) => rule.Statement.ManagedRuleGroupStatement?.Name)).toEqual([
      'AWSManagedRulesCommonRuleSet',
      'AWSManagedRulesKnownBadInputsRuleSet',
      'AWSManagedRulesSQLiRuleSet',
      'AWSManagedRulesAmazonIpReputationList',
    ]);
    // None: the group's own actions (block) apply; Count here would turn a whole group into a monitor.
    for (const rule of managed) expect(rule.OverrideAction, rule.Name).toEqual({ None: {} });
    const counted = managed.flatMap((rule) => (rule.Statement.ManagedRuleGroupStatement?.RuleActionOverrides as { Name: string; ActionToUse: unknown }[] | undefined) ?? []);
    expect(counted).toEqual([
      { Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } },
      { Name: 'CrossSiteScripting_BODY', ActionToUse: { Count: {} } },
    ]);
  });

  it('limits each IP to the configured rate, answering 429 with a FHIR OperationOutcome', () => {
    const { rule, properties } = synth({ rateLimitPer5Minutes: 1234 });
    const rate = rule('RateLimitPerIp');
    expect(rate?.Statement.RateBasedStatement).toEqual({ Limit: 1234, AggregateKeyType: 'IP' });
    expect(rate?.Action?.Block?.CustomResponse).toMatchObject({ ResponseCode: 429, CustomResponseBodyKey: 'throttled' });
    expect(JSON.parse(properties.CustomResponseBodies.throttled?.Content ?? '{}')).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: gatewayResponses.throttled.code }] });
  });

  it('refuses a request declaring a body over the API\'s own limit with 413, reading Content-Length (WAF sees only the first 16 KB of a body)', () => {
    const { rule, properties } = synth();
    const size = rule('BodyOverApiLimit');
    expect(size?.Statement.RegexMatchStatement).toEqual({
      FieldToMatch: { SingleHeader: { Name: 'content-length' } },
      RegexString: decimalAbovePattern(maxRequestBodyBytes),
      TextTransformations: [{ Priority: 0, Type: 'NONE' }],
    });
    expect(size?.Action?.Block?.CustomResponse).toMatchObject({ ResponseCode: 413, CustomResponseBodyKey: 'tooLarge' });
    expect(properties.CustomResponseBodies.tooLarge?.ContentType).toBe('APPLICATION_JSON');
    // The inspection limit the managed groups work with is set, not left implicit.
    const [webAcl] = Object.values(synth().template.findResources('AWS::WAFv2::WebACL')) as { Properties: { AssociationConfig: unknown } }[];
    expect(webAcl?.Properties.AssociationConfig).toEqual({ RequestBody: { API_GATEWAY: { DefaultSizeInspectionLimit: 'KB_16' } } });
  });

  it('sends the API\'s security headers with its own block answers, which take precedence over API Gateway\'s', () => {
    const { properties } = synth();
    const blocks = properties.Rules.flatMap((rule) => (rule.Action?.Block?.CustomResponse ? [rule.Action.Block.CustomResponse] : []));
    expect(blocks).toHaveLength(2);
    for (const block of blocks) expect(block.ResponseHeaders).toEqual(Object.entries(securityHeaders).map(([Name, Value]) => ({ Name, Value })));
  });

  it('lets every country and address through when the stage lists none', () => {
    const { properties, template } = synth();
    expect(JSON.stringify(properties.Rules)).not.toMatch(/GeoMatchStatement|IPSetReferenceStatement/);
    template.resourceCountIs('AWS::WAFv2::IPSet', 0);
  });

  it('blocks, before any other rule, requests from outside the stage\'s allowed addresses and countries', () => {
    const { properties, rule, template } = synth({ allowedCountries: ['CA'], allowedIpRanges: ['192.0.2.0/24'] });
    template.hasResourceProperties('AWS::WAFv2::IPSet', { Scope: 'REGIONAL', IPAddressVersion: 'IPV4', Addresses: ['192.0.2.0/24'] });
    const [ipSetId] = Object.keys(template.findResources('AWS::WAFv2::IPSet'));
    expect(rule('BlockOutsideAllowedIpRanges')).toMatchObject({
      Action: { Block: {} },
      Statement: { NotStatement: { Statement: { IPSetReferenceStatement: { Arn: { 'Fn::GetAtt': [ipSetId, 'Arn'] } } } } },
    });
    expect(rule('BlockOutsideAllowedCountries')).toMatchObject({
      Action: { Block: {} },
      Statement: { NotStatement: { Statement: { GeoMatchStatement: { CountryCodes: ['CA'] } } } },
    });
    const ordered = [...properties.Rules].sort((a, b) => a.Priority - b.Priority).map((candidate) => candidate.Name);
    expect(ordered.slice(0, 2)).toEqual(['BlockOutsideAllowedIpRanges', 'BlockOutsideAllowedCountries']);
    expect(new Set(properties.Rules.map((candidate) => candidate.Priority)).size).toBe(properties.Rules.length);
  });

  it('replaces bearer tokens and cookies in sampled requests (data protection), and redacts them from its KMS-encrypted logs', () => {
    const { template } = synth();
    template.hasResourceProperties('AWS::WAFv2::WebACL', {
      VisibilityConfig: Match.objectLike({ SampledRequestsEnabled: true }),
      DataProtectionConfig: { DataProtections: [{ Action: 'SUBSTITUTION', Field: { FieldType: 'SINGLE_HEADER', FieldKeys: ['authorization', 'cookie'] } }] },
    });
    template.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', {
      RedactedFields: [{ SingleHeader: { Name: 'authorization' } }, { SingleHeader: { Name: 'cookie' } }],
    });
    const [keyId] = Object.keys(template.findResources('AWS::KMS::Key'));
    template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: Match.stringLikeRegexp('^aws-waf-logs-'), KmsKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
  });

  it('names its metrics after the stack, so two stages in one account keep their WAF metrics apart', () => {
    const { acl, properties } = synth();
    expect(acl.metricName).toBe('Dsc-test-Api-fhir-api');
    expect(properties.VisibilityConfig.MetricName).toBe(acl.metricName);
  });
});

describe('decimalAbovePattern', () => {
  it('matches exactly the decimal integers above the limit, leading zeros allowed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000_000 }), fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: -1000, max: 1000 }), fc.nat({ max: 3 }), (limit, far, delta, zeros) => {
        const pattern = new RegExp(decimalAbovePattern(limit));
        // Any number, and numbers close to the limit, where a digit-by-digit pattern goes wrong.
        for (const value of [far, Math.max(0, limit + delta)]) expect(pattern.test('0'.repeat(zeros) + String(value)), `${value} against ${limit}`).toBe(value > limit);
      }),
    );
  });

  it('decides the API limit at its boundary, and refuses what is not a number', () => {
    const pattern = new RegExp(decimalAbovePattern(maxRequestBodyBytes));
    expect([maxRequestBodyBytes - 1, maxRequestBodyBytes, maxRequestBodyBytes + 1, 10 * maxRequestBodyBytes].map((value) => pattern.test(String(value)))).toEqual([false, false, true, true]);
    for (const text of ['', '-5000000', '5e9', '4194305 ', 'abc']) expect(pattern.test(text), text).toBe(false);
  });
});
