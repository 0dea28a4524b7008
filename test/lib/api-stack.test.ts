import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { functions, type FunctionName } from '../../lambdas/contracts/functions';
import { gatewayResponses } from '../../lambdas/contracts/gateway-responses';
import { routes } from '../../lambdas/contracts/routes';
import { securityHeaders } from '../../lambdas/contracts/security-headers';
import { resolveStageConfig } from '../../lib/config';
import { createDscStacks } from '../../lib/dsc-app';
import { bodyInteractions } from '../../lib/stacks/api-stack';

interface Resource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
}

/** The test stage: every optional protection configured (custom domain, allow-lists, alarm email). */
const stage = {
  region: 'ca-central-1',
  authDomainPrefix: 'dsc-test',
  oauthCallbackUrls: ['https://app.example.org/cb'],
  corsAllowedOrigins: ['https://app.example.org'],
  throttle: { rateLimit: 200, burstLimit: 400 },
  alarmEmail: 'ops@example.org',
  wafAllowedCountries: ['CA'],
  customDomain: { domainName: 'fhir.example.org', certificateArn: 'arn:aws:acm:ca-central-1:111111111111:certificate/abc' },
};

function synth(config: Record<string, unknown>): Template {
  // No bundling: the assertions read the templates, not the functions' code.
  const stacks = createDscStacks(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), resolveStageConfig('test', { test: config }), '111111111111');
  return Template.fromStack(stacks.api);
}

let api: Template;
let minimal: Template;

beforeAll(() => {
  api = synth(stage);
  minimal = synth({ region: 'ca-central-1', authDomainPrefix: 'dsc-test', oauthCallbackUrls: ['https://app.example.org/cb'] });
});

const resources = (template: Template, type: string) => template.findResources(type) as Record<string, Resource>;
const only = (template: Template, type: string): Resource => {
  const found = Object.values(resources(template, type));
  expect(found, type).toHaveLength(1);
  return found[0] as Resource;
};
/** Our functions (NodejsFunction bundles export index.handler), keyed by logical id. */
const ourFunctions = (template: Template) => Object.entries(resources(template, 'AWS::Lambda::Function')).filter(([, fn]) => fn.Properties.Handler === 'index.handler');
const functionId = (template: Template, name: FunctionName) => ourFunctions(template).find(([id]) => id.startsWith(functions[name].id))?.[0];

describe('TLS', () => {
  it('accepts only TLS 1.3 and 1.2 with forward-secret suites on the API\'s own endpoint (a regional API defaults to TLS 1.0), SNI strict', () => {
    for (const template of [api, minimal]) {
      template.hasResourceProperties('AWS::ApiGateway::RestApi', { SecurityPolicy: 'SecurityPolicy_TLS13_1_2_PFS_PQ_2025_09', EndpointAccessMode: 'STRICT' });
    }
  });

  it('serves a configured custom domain with the same TLS policy, mapped to the stage under its name', () => {
    api.hasResourceProperties('AWS::ApiGateway::DomainName', {
      DomainName: 'fhir.example.org',
      RegionalCertificateArn: stage.customDomain.certificateArn,
      EndpointConfiguration: { Types: ['REGIONAL'] },
      SecurityPolicy: 'SecurityPolicy_TLS13_1_2_PFS_PQ_2025_09',
      EndpointAccessMode: 'STRICT',
    });
    const [stageId] = Object.keys(resources(api, 'AWS::ApiGateway::Stage'));
    api.hasResourceProperties('AWS::ApiGateway::BasePathMapping', { BasePath: 'r4', Stage: { Ref: stageId } });
    minimal.resourceCountIs('AWS::ApiGateway::DomainName', 0);
  });
});

describe('the stage', () => {
  it('traces with X-Ray, logs execution at ERROR without bodies, and never caches a response (PHI)', () => {
    const stageProperties = only(api, 'AWS::ApiGateway::Stage').Properties;
    expect(stageProperties).toMatchObject({ TracingEnabled: true, CacheClusterEnabled: false });
    const settings = stageProperties.MethodSettings as Record<string, unknown>[];
    expect(settings.find((setting) => setting.ResourcePath === '/*')).toMatchObject({
      HttpMethod: '*',
      LoggingLevel: 'ERROR',
      DataTraceEnabled: false,
      CachingEnabled: false,
      ThrottlingRateLimit: stage.throttle.rateLimit,
      ThrottlingBurstLimit: stage.throttle.burstLimit,
    });
  });

  it('throttles every write route below the stage, with a burst that fits the write function\'s reserved concurrency', () => {
    const settings = only(api, 'AWS::ApiGateway::Stage').Properties.MethodSettings as { ResourcePath: string; HttpMethod: string; ThrottlingBurstLimit?: number; ThrottlingRateLimit?: number }[];
    // A method's own setting replaces the stage-wide one: it must repeat the logging and caching choices.
    for (const setting of settings) expect(setting, setting.ResourcePath).toMatchObject({ LoggingLevel: 'ERROR', DataTraceEnabled: false, CachingEnabled: false, MetricsEnabled: true });
    const writeConcurrency = resources(api, 'AWS::Lambda::Function')[functionId(api, 'recordWrite') ?? '']?.Properties.ReservedConcurrentExecutions as number;
    const writes = routes.filter((route) => route.function === 'recordWrite');
    expect(writes.length).toBeGreaterThan(0);
    for (const route of writes) {
      // A method setting names its resource path with each '/' escaped as '~1', after a leading '/'; the root is '/' alone.
      const resourcePath = route.path === '/' ? '/' : `/${route.path.replaceAll('/', '~1')}`;
      const setting = settings.find((candidate) => candidate.ResourcePath === resourcePath && candidate.HttpMethod === route.method);
      expect(setting, `${route.method} ${route.path}`).toBeDefined();
      expect(setting?.ThrottlingBurstLimit).toBeLessThanOrEqual(writeConcurrency);
      expect(setting?.ThrottlingRateLimit).toBeLessThan(stage.throttle.rateLimit);
    }
  });

  it('logs the gateway\'s refusal type and the negotiated TLS version in every access log line', () => {
    const format = JSON.parse((only(api, 'AWS::ApiGateway::Stage').Properties.AccessLogSetting as { Format: string }).Format) as Record<string, string>;
    expect(format).toMatchObject({ errorType: '$context.error.responseType', tlsVersion: '$context.tlsVersion', sub: '$context.authorizer.claims.sub' });
  });

  it('logs the actual path and the user agent, which the journal of gateway refusals records', () => {
    const format = JSON.parse((only(api, 'AWS::ApiGateway::Stage').Properties.AccessLogSetting as { Format: string }).Format) as Record<string, string>;
    expect(format).toMatchObject({ path: '$context.path', resourcePath: '$context.resourcePath', userAgent: '$context.identity.userAgent', clientId: '$context.authorizer.claims.client_id' });
  });
});

describe('gateway refusals, journaled from the access log', () => {
  const accessLogGroupId = () => {
    const stage = only(api, 'AWS::ApiGateway::Stage').Properties.AccessLogSetting as { DestinationArn: { 'Fn::GetAtt': [string, string] } };
    return stage.DestinationArn['Fn::GetAtt'][0];
  };

  it('subscribes the refusal journal to the access log, for the authorizer\'s 401 and 403 alone (by error type, never by status)', () => {
    const filter = only(api, 'AWS::Logs::SubscriptionFilter').Properties;
    expect(filter).toMatchObject({ LogGroupName: { Ref: accessLogGroupId() }, DestinationArn: { 'Fn::GetAtt': [functionId(api, 'gatewayRefusalJournal'), 'Arn'] } });
    expect(filter.FilterPattern).toBe('{ ($.errorType = "UNAUTHORIZED") || ($.errorType = "ACCESS_DENIED") }');
  });

  it('lets CloudWatch Logs invoke it for that log group only', () => {
    api.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [functionId(api, 'gatewayRefusalJournal'), 'Arn'] },
      Principal: 'logs.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [accessLogGroupId(), 'Arn'] },
    });
  });

  it('lets it put journal items in the audit table and nothing else on any table', () => {
    const policies = Object.values(resources(api, 'AWS::IAM::Policy')).filter((policy) => JSON.stringify(policy.Properties.Roles).includes(functions.gatewayRefusalJournal.id));
    expect(policies).toHaveLength(1);
    const statements = (policies[0]?.Properties.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] }).Statement;
    const dynamoDb = statements.filter((statement) => [statement.Action].flat().some((action) => action.startsWith('dynamodb:')));
    expect(dynamoDb).toHaveLength(1);
    expect(dynamoDb[0]?.Action).toBe('dynamodb:PutItem');
    expect(JSON.stringify(dynamoDb[0]?.Resource)).toMatch(/AuditTable/);
  });

  it('sends the events it fails on, after Lambda\'s retries, to its own KMS-encrypted dead-letter queue', () => {
    const fn = resources(api, 'AWS::Lambda::Function')[functionId(api, 'gatewayRefusalJournal') ?? ''];
    const [queueId, queue] = Object.entries(resources(api, 'AWS::SQS::Queue')).find(([id]) => id.startsWith(functions.gatewayRefusalJournal.id)) ?? [];
    expect(fn?.Properties.DeadLetterConfig).toEqual({ TargetArn: { 'Fn::GetAtt': [queueId, 'Arn'] } });
    expect(queue?.Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/DeadLettersKey/), 'Arn'] });
  });
});

describe('requests', () => {
  it('refuses a create, update or patch without a Content-Type at the gateway, with the 415 OperationOutcome the function would send', () => {
    const [validatorId] = Object.keys(resources(api, 'AWS::ApiGateway::RequestValidator'));
    api.hasResourceProperties('AWS::ApiGateway::RequestValidator', { ValidateRequestParameters: true, ValidateRequestBody: false });
    const methods = Object.values(resources(api, 'AWS::ApiGateway::Method')).map((method) => method.Properties);
    const validated = methods.filter((method) => method.RequestValidatorId !== undefined);
    const withBody = routes.filter((route) => bodyInteractions.has(route.interaction));
    expect(withBody.filter((route) => route.function === 'recordWrite').map((route) => `${route.method} ${route.path}`).sort()).toEqual([
      'PATCH /{type}',
      'PATCH /{type}/{id}',
      'POST /',
      'POST /{type}',
      'POST /{type}/{id}',
      'PUT /{type}',
      'PUT /{type}/{id}',
    ]);
    expect(validated.map((method) => method.HttpMethod).sort()).toEqual(withBody.map((route) => route.method).sort());
    for (const method of validated) {
      expect(method.RequestValidatorId).toEqual({ Ref: validatorId });
      expect(method.RequestParameters).toEqual({ 'method.request.header.Content-Type': true });
    }
    api.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'BAD_REQUEST_PARAMETERS',
      StatusCode: '415',
      ResponseTemplates: { 'application/json': Match.stringLikeRegexp(`"code":"${gatewayResponses.missingContentType.code}"`) },
    });
  });

  it('sends the security headers (HSTS, no-store, nosniff, no framing) on every gateway response, every 405 answer and every CORS preflight', () => {
    const gatewayResponsesFound = Object.values(resources(api, 'AWS::ApiGateway::GatewayResponse'));
    expect(gatewayResponsesFound).toHaveLength(Object.keys(gatewayResponses).length);
    for (const response of gatewayResponsesFound) {
      for (const [name, value] of Object.entries(securityHeaders)) {
        expect(response.Properties.ResponseParameters, `${String(response.Properties.ResponseType)} ${name}`).toMatchObject({ [`gatewayresponse.header.${name}`]: `'${value}'` });
      }
      // The test stage allows origins: a browser app must be able to read every gateway error, not only a 401.
      expect(response.Properties.ResponseParameters, String(response.Properties.ResponseType)).toMatchObject({ 'gatewayresponse.header.Access-Control-Allow-Origin': "'*'" });
    }
    const answers = Object.values(resources(api, 'AWS::ApiGateway::Method')).filter((method) => method.Properties.HttpMethod === 'ANY' || method.Properties.HttpMethod === 'OPTIONS');
    expect(answers.filter((method) => method.Properties.HttpMethod === 'OPTIONS').length, 'preflight methods (the test stage allows origins)').toBeGreaterThan(0);
    for (const answer of answers) {
      const [response] = (answer.Properties.Integration as { IntegrationResponses: { ResponseParameters: Record<string, string> }[] }).IntegrationResponses;
      for (const [name, value] of Object.entries(securityHeaders)) expect(response?.ResponseParameters[`method.response.header.${name}`], name).toBe(`'${value}'`);
    }
  });
});

describe('functions', () => {
  it('gives every function an explicit memory size and timeout, and active tracing', () => {
    const found = ourFunctions(api);
    expect(found.length).toBeGreaterThanOrEqual(Object.keys(functions).length);
    for (const [id, fn] of found) {
      expect(fn.Properties.MemorySize, id).toEqual(expect.any(Number));
      expect(fn.Properties.Timeout, id).toEqual(expect.any(Number));
      expect(fn.Properties.TracingConfig, id).toEqual({ Mode: 'Active' });
    }
  });

  it('reserves concurrency for the write function and the indexer, the two that could overrun the record table', () => {
    for (const name of ['recordWrite', 'searchIndexer'] as const) {
      const fn = resources(api, 'AWS::Lambda::Function')[functionId(api, name) ?? ''];
      expect(fn?.Properties.ReservedConcurrentExecutions, name).toBe(10);
    }
  });

  it('holds no secret in any function\'s environment: names and values are table names, client ids, origins and options', () => {
    const secretName = /SECRET|PASSWORD|PASSWD|PRIVATE|CREDENTIAL|TOKEN|API_?KEY/i;
    const secretValue = [/AKIA[0-9A-Z]{16}/, /-----BEGIN/, /^[A-Za-z0-9+/]{32,}={0,2}$/, /^[0-9a-f]{32,}$/i, /:\/\/[^/\s:]+:[^@\s]+@/];
    for (const [id, fn] of ourFunctions(api)) {
      const variables = (fn.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
      for (const [name, value] of Object.entries(variables)) {
        expect(name, `${id} ${name}`).not.toMatch(secretName);
        // Deploy-time references (Ref, Fn::ImportValue) name resources; literal strings are checked.
        if (typeof value === 'string') for (const pattern of secretValue) expect(value, `${id} ${name}`).not.toMatch(pattern);
      }
    }
  });

  it('sends the indexer\'s exhausted batches to a KMS-encrypted, TLS-only dead-letter queue', () => {
    const [queueId, queue] = Object.entries(resources(api, 'AWS::SQS::Queue')).find(([id]) => id.startsWith(functions.searchIndexer.id)) ?? [];
    expect(queue?.Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/DeadLettersKey/), 'Arn'] });
    api.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: functionId(api, 'searchIndexer') },
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
    });
    api.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queueId }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    api.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true, Description: Match.stringLikeRegexp('SearchIndexerFunction dead letters') });
  });
});

describe('alarms', () => {
  interface AlarmProperties {
    readonly MetricName?: string;
    readonly Namespace?: string;
    readonly Dimensions?: { Name: string; Value: unknown }[];
    readonly Metrics?: { Id: string; MetricStat?: { Metric: { MetricName: string; Dimensions?: { Name: string; Value: unknown }[] } } }[];
    readonly AlarmActions: unknown[];
    readonly OKActions: unknown[];
    readonly Threshold: number;
    readonly TreatMissingData: string;
    readonly ComparisonOperator: string;
  }
  const alarms = () => Object.values(resources(api, 'AWS::CloudWatch::Alarm')).map((alarm) => alarm.Properties as unknown as AlarmProperties);
  const metricNamesOf = (alarm: AlarmProperties) => [alarm.MetricName, ...(alarm.Metrics ?? []).map((metric) => metric.MetricStat?.Metric.MetricName)].filter(Boolean);
  const alarmsOn = (metricName: string) => alarms().filter((alarm) => metricNamesOf(alarm).includes(metricName));
  const topicRef = { 'Fn::ImportValue': expect.stringMatching(/^Dsc-test-Security:ExportsOutputRefAlarms?Topic/) as string };

  it('sends every alarm, when it fires and when it clears, to the security stack\'s alarm topic', () => {
    expect(alarms().length).toBeGreaterThan(0);
    for (const alarm of alarms()) {
      expect(alarm.AlarmActions).toEqual([topicRef]);
      expect(alarm.OKActions).toEqual([topicRef]);
      expect(alarm.ComparisonOperator).toBe('GreaterThanOrEqualToThreshold');
    }
  });

  it('alarms on every break-glass override within the minute, counted from the journaling functions\' logs', () => {
    const journaling = (Object.keys(functions) as FunctionName[]).filter((name) => Object.values(functions[name].tableAccess as Record<string, string>).includes('append'));
    expect(journaling).toEqual(expect.arrayContaining(['recordRead', 'recordWrite']));
    const filters = Object.values(resources(api, 'AWS::Logs::MetricFilter')).filter((filter) => JSON.stringify(filter.Properties).includes('BreakGlassEvents'));
    expect(filters).toHaveLength(journaling.length);
    for (const filter of filters) {
      expect(filter.Properties.FilterPattern).toBe('{ $.alert = "break-glass" }');
      expect(filter.Properties.MetricTransformations).toEqual([{ MetricNamespace: 'DSC/test', MetricName: 'BreakGlassEvents', MetricValue: '1' }]);
    }
    const logGroupsFiltered = filters.map((filter) => JSON.stringify(filter.Properties.LogGroupName));
    for (const name of journaling) expect(logGroupsFiltered.some((group) => group.includes(functions[name].id)), name).toBe(true);
    api.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'DSC/test',
      MetricName: 'BreakGlassEvents',
      Statistic: 'Sum',
      Period: 60,
      Threshold: 1,
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
  });

  it('alarms on spikes of tokens refused at the gateway (401 and 403 of the authorizer), counted from the access log', () => {
    const [accessLogsId] = Object.keys(resources(api, 'AWS::Logs::LogGroup')).filter((id) => id.startsWith('AccessLogs'));
    api.hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: { Ref: accessLogsId },
      FilterPattern: '{ ($.errorType = "UNAUTHORIZED") || ($.errorType = "ACCESS_DENIED") }',
      MetricTransformations: [{ MetricNamespace: 'DSC/test', MetricName: 'AuthenticationFailures', MetricValue: '1' }],
    });
    expect(alarmsOn('AuthenticationFailures')).toHaveLength(1);
  });

  it('alarms on API 5xx and p99 latency of this stage\'s API', () => {
    api.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'AWS/ApiGateway', MetricName: '5XXError', Dimensions: [{ Name: 'ApiName', Value: 'dsc-fhir-test' }] });
    api.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'AWS/ApiGateway', MetricName: 'Latency', ExtendedStatistic: 'p99', EvaluationPeriods: 3 });
  });

  it('alarms on errors and throttles of every function, on the lag of stream functions, and on every dead-letter queue', () => {
    for (const [id] of ourFunctions(api)) {
      for (const metricName of ['Errors', 'Throttles']) {
        expect(alarmsOn(metricName).filter((alarm) => JSON.stringify(alarm.Dimensions) === JSON.stringify([{ Name: 'FunctionName', Value: { Ref: id } }])), `${id} ${metricName}`).toHaveLength(1);
      }
    }
    expect(alarmsOn('IteratorAge').map((alarm) => JSON.stringify(alarm.Dimensions))).toEqual(expect.arrayContaining([expect.stringContaining(functionId(api, 'searchIndexer') ?? '-')]));
    // One per dead-letter queue: the stream functions' and the asynchronously invoked refusal journal's.
    const withDeadLetters = Object.values(functions).filter((definition) => definition.trigger.endsWith('-stream') || definition.trigger === 'api-access-log');
    expect(alarmsOn('ApproximateNumberOfMessagesVisible')).toHaveLength(withDeadLetters.length);
  });

  it('alarms on throttles and system errors of both tables', () => {
    for (const metricName of ['ReadThrottleEvents', 'WriteThrottleEvents', 'SystemErrors']) {
      const tablesAlarmed = alarmsOn(metricName).map((alarm) => JSON.stringify(alarm.Metrics));
      expect(tablesAlarmed.filter((metrics) => metrics.includes('RecordTable')), metricName).toHaveLength(1);
      expect(tablesAlarmed.filter((metrics) => metrics.includes('AuditTable')), metricName).toHaveLength(1);
    }
  });

  it('alarms on WAF block spikes of this stage\'s web ACL', () => {
    const acl = only(api, 'AWS::WAFv2::WebACL').Properties as { VisibilityConfig: { MetricName: string } };
    api.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/WAFV2',
      MetricName: 'BlockedRequests',
      Dimensions: [
        { Name: 'Region', Value: 'ca-central-1' },
        { Name: 'Rule', Value: 'ALL' },
        { Name: 'WebACL', Value: acl.VisibilityConfig.MetricName },
      ],
    });
  });
});

describe('the operators\' dashboard', () => {
  it('shows the API, the functions, the tables\' capacity and throttles, the WAF and break-glass', () => {
    const body = JSON.stringify(only(api, 'AWS::CloudWatch::Dashboard').Properties.DashboardBody);
    for (const metricName of ['5XXError', 'Latency', 'Errors', 'Throttles', 'ConsumedWriteCapacityUnits', 'ReadThrottleEvents', 'BlockedRequests', 'BreakGlassEvents', 'AuthenticationFailures']) {
      expect(body, metricName).toContain(metricName);
    }
  });
});
