import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { roles } from '../../lambdas/access/roles';
import { functions, tableActions } from '../../lambdas/contracts/functions';
import { routes } from '../../lambdas/contracts/routes';
import { resolveStageConfig } from '../../lib/config';
import { createDscStacks } from '../../lib/dsc-app';

type Resources = Record<string, { Type: string; Properties: Record<string, any>; DeletionPolicy?: string }>;

let security: Template;
let data: Template;
let auth: Template;
let api: Template;

beforeAll(() => {
  const app = new App();
  const config = resolveStageConfig('test', {
    test: { region: 'ca-central-1', authDomainPrefix: 'dsc-test', oauthCallbackUrls: ['https://app.example.org/cb'], corsAllowedOrigins: ['https://app.example.org'] },
  });
  const stacks = createDscStacks(app, config, '111111111111');
  security = Template.fromStack(stacks.security);
  data = Template.fromStack(stacks.data);
  auth = Template.fromStack(stacks.auth);
  api = Template.fromStack(stacks.api);
});

function resourcesOf(template: Template, type: string): Resources {
  return template.findResources(type) as Resources;
}

describe('auth stack', () => {
  it('makes the email the username and lets only administrators create accounts', () => {
    auth.hasResourceProperties('AWS::Cognito::UserPool', {
      UsernameAttributes: ['email'],
      AdminCreateUserConfig: Match.objectLike({ AllowAdminCreateUserOnly: true }),
      MfaConfiguration: 'ON',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      DeletionProtection: 'ACTIVE',
    });
  });

  it('creates one group per role, named as the role', () => {
    const names = Object.values(resourcesOf(auth, 'AWS::Cognito::UserPoolGroup')).map((group) => group.Properties.GroupName);
    expect(names.sort()).toEqual([...roles].sort());
  });

  it('gives browser apps a public client with the authorization code flow only', () => {
    auth.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthScopes: Match.arrayWith(['openid', 'email', 'aws.cognito.signin.user.admin']),
      PreventUserExistenceErrors: 'ENABLED',
    });
    // Custom scopes are joined from the resource server's identifier at deploy time.
    auth.hasResourceProperties('AWS::Cognito::UserPoolResourceServer', { Identifier: 'dsc-fhir', Scopes: Match.arrayWith([Match.objectLike({ ScopeName: 'fhir.read' })]) });
    const client = Object.values(resourcesOf(auth, 'AWS::Cognito::UserPoolClient'))[0];
    expect(JSON.stringify(client.Properties.AllowedOAuthScopes)).toMatch(/\/fhir\.read.*\/fhir\.write/);
  });
});

describe('data stack', () => {
  it('pins the logical ids of the stateful tables (a change would replace a table)', () => {
    const ids = Object.keys(resourcesOf(data, 'AWS::DynamoDB::GlobalTable')).sort();
    expect(ids).toEqual([expect.stringMatching(/^AuditTable[0-9A-F]{8}$/), expect.stringMatching(/^RecordTable[0-9A-F]{8}$/)]);
  });

  it('bills on demand, keeps PITR, deletion protection, our KMS key and RETAIN on every table', () => {
    const tablesFound = Object.values(resourcesOf(data, 'AWS::DynamoDB::GlobalTable'));
    expect(tablesFound).toHaveLength(2);
    for (const table of tablesFound) {
      expect(table.DeletionPolicy).toBe('Retain');
      expect(table.Properties.BillingMode).toBe('PAY_PER_REQUEST');
      expect(table.Properties.SSESpecification).toMatchObject({ SSEEnabled: true, SSEType: 'KMS' });
      const replica = table.Properties.Replicas[0];
      expect(replica).toMatchObject({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true }, DeletionProtectionEnabled: true });
      expect(replica.SSESpecification.KMSMasterKeyId).toEqual({ 'Fn::ImportValue': expect.stringContaining('DataKey') });
      expect(table.Properties.KeySchema).toEqual([
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ]);
    }
  });
});

describe('security stack', () => {
  it('rotates every customer key', () => {
    const keys = Object.values(resourcesOf(security, 'AWS::KMS::Key'));
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(key.Properties.EnableKeyRotation).toBe(true);
  });

  it('runs a validated, encrypted, multi-region trail into CloudWatch Logs', () => {
    security.hasResourceProperties('AWS::CloudTrail::Trail', {
      EnableLogFileValidation: true,
      IsMultiRegionTrail: true,
      IncludeGlobalServiceEvents: true,
      KMSKeyId: Match.anyValue(),
      CloudWatchLogsLogGroupArn: Match.anyValue(),
    });
  });

  it('lets CloudTrail, and only for this account\'s trails, encrypt log files with the trail key', () => {
    security.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: Match.objectLike({
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudtrail.amazonaws.com' },
            Action: 'kms:GenerateDataKey*',
            Condition: { StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': Match.anyValue() } },
          }),
        ]),
      }),
    });
  });

  it('stores trail files in a versioned, object-locked, private bucket', () => {
    security.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      ObjectLockEnabled: true,
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
    });
  });
});

describe('api stack', () => {
  /** "GET /Patient/{id}" for each method, by walking the resource tree. */
  function methodsByRoute(): Record<string, Record<string, any>> {
    const resources = resourcesOf(api, 'AWS::ApiGateway::Resource');
    const pathOf = (ref: any): string => {
      if (!ref?.Ref) return '';
      const resource = resources[ref.Ref];
      return `${pathOf(resource.Properties.ParentId)}/${resource.Properties.PathPart}`;
    };
    return Object.fromEntries(
      Object.values(resourcesOf(api, 'AWS::ApiGateway::Method')).map((method) => [`${method.Properties.HttpMethod} ${pathOf(method.Properties.ResourceId) || '/'}`, method.Properties]),
    );
  }

  it('has exactly the methods of the shared route table, besides CORS preflights', () => {
    const methods = Object.keys(methodsByRoute()).filter((route) => !route.startsWith('OPTIONS '));
    expect(methods.sort()).toEqual(routes.map((route) => `${route.method} ${route.path}`).sort());
  });

  it('answers CORS preflights for the stage origins without a token, and reaches no function', () => {
    const preflights = Object.entries(methodsByRoute()).filter(([route]) => route.startsWith('OPTIONS '));
    expect(preflights.map(([route]) => route)).toEqual(expect.arrayContaining(routes.map((route) => `OPTIONS ${route.path}`)));
    for (const [, method] of preflights) {
      expect(method.AuthorizationType).toBe('NONE');
      expect(method.Integration.Type).toBe('MOCK');
      expect(JSON.stringify(method.Integration.IntegrationResponses)).toContain("'https://app.example.org'");
    }
  });

  it('gives every function the stage origins, and gateway errors a CORS header so browsers can read a 401', () => {
    const fns = Object.values(resourcesOf(api, 'AWS::Lambda::Function')).filter((fn) => fn.Properties.Handler === 'index.handler');
    for (const fn of fns) expect(fn.Properties.Environment.Variables.CORS_ALLOWED_ORIGINS).toBe('https://app.example.org');
    api.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'UNAUTHORIZED',
      ResponseParameters: Match.objectLike({ 'gatewayresponse.header.Access-Control-Allow-Origin': "'*'" }),
    });
  });

  it('puts the Cognito authorizer, with access-token scopes, on every non-OPTIONS method but GET /metadata', () => {
    api.hasResourceProperties('AWS::ApiGateway::Authorizer', { Type: 'COGNITO_USER_POOLS', IdentitySource: 'method.request.header.Authorization' });
    for (const [route, method] of Object.entries(methodsByRoute())) {
      if (method.HttpMethod === 'OPTIONS') continue;
      if (route === 'GET /metadata') {
        expect(method.AuthorizationType).toBe('NONE');
        continue;
      }
      expect(method.AuthorizationType, route).toBe('COGNITO_USER_POOLS');
      expect(method.AuthorizerId, route).toBeDefined();
      expect(method.AuthorizationScopes, route).toContain('aws.cognito.signin.user.admin');
    }
  });

  it('runs every function on a current Node runtime, on arm64, with tracing', () => {
    const fns = Object.values(resourcesOf(api, 'AWS::Lambda::Function')).filter((fn) => fn.Properties.Handler === 'index.handler');
    expect(fns).toHaveLength(Object.keys(functions).length);
    for (const fn of fns) {
      expect(fn.Properties.Runtime).toMatch(/^nodejs(22|24)\.x$/);
      expect(fn.Properties.Architectures).toEqual(['arm64']);
      expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
    }
  });

  it('grants each function only the DynamoDB actions its declaration lists, and never Scan', () => {
    const policies = Object.values(resourcesOf(api, 'AWS::IAM::Policy'));
    const dynamoActionsOf = (functionId: string) =>
      policies
        .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(functionId))
        .flatMap((policy) => policy.Properties.PolicyDocument.Statement)
        .flatMap((statement: any) => [statement.Action].flat())
        .filter((action: string) => action.startsWith('dynamodb:'));
    expect(dynamoActionsOf(functions.metadata.id)).toEqual([]);
    expect(new Set(dynamoActionsOf(functions.recordRead.id))).toEqual(new Set([...tableActions.read, ...tableActions.append]));
    expect(dynamoActionsOf(functions.recordRead.id)).not.toContain('dynamodb:UpdateItem');
    expect(new Set(dynamoActionsOf(functions.recordWrite.id))).toEqual(new Set([...tableActions.write, ...tableActions.append]));
    const all = policies.flatMap((policy) => policy.Properties.PolicyDocument.Statement).flatMap((statement: any) => [statement.Action].flat());
    expect(all.filter((action: string) => /dynamodb:(Scan|\*)/.test(action))).toEqual([]);
  });

  it('associates a blocking WAF web ACL with the API stage', () => {
    const acl = Object.values(resourcesOf(api, 'AWS::WAFv2::WebACL'))[0].Properties;
    expect(acl.Scope).toBe('REGIONAL');
    const managed = acl.Rules.filter((rule: any) => rule.Statement.ManagedRuleGroupStatement);
    expect(managed.map((rule: any) => rule.Statement.ManagedRuleGroupStatement.Name)).toEqual(
      expect.arrayContaining(['AWSManagedRulesCommonRuleSet', 'AWSManagedRulesKnownBadInputsRuleSet', 'AWSManagedRulesSQLiRuleSet', 'AWSManagedRulesAmazonIpReputationList']),
    );
    for (const rule of managed) expect(rule.OverrideAction).toEqual({ None: {} });
    expect(acl.Rules.find((rule: any) => rule.Statement.RateBasedStatement)).toMatchObject({ Action: { Block: {} } });
    const [stageId] = Object.keys(resourcesOf(api, 'AWS::ApiGateway::Stage'));
    api.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      ResourceArn: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith([{ Ref: stageId }])]) }),
    });
  });

  it('logs WAF decisions with the Authorization header redacted', () => {
    api.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', { RedactedFields: [{ SingleHeader: { Name: 'authorization' } }] });
  });

  it('answers gateway-level errors (401, unknown route) with FHIR OperationOutcomes', () => {
    for (const [type, status] of [['UNAUTHORIZED', '401'], ['MISSING_AUTHENTICATION_TOKEN', '404']]) {
      api.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: type,
        StatusCode: status,
        ResponseTemplates: { 'application/json': Match.stringLikeRegexp('"resourceType":"OperationOutcome"') },
      });
    }
  });

  it('asks for a Bearer token on a gateway 401', () => {
    api.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'UNAUTHORIZED',
      ResponseParameters: Match.objectLike({ 'gatewayresponse.header.WWW-Authenticate': "'Bearer'" }),
    });
  });

  it('keeps request and response bodies out of execution logs', () => {
    api.hasResourceProperties('AWS::ApiGateway::Stage', {
      TracingEnabled: true,
      MethodSettings: [Match.objectLike({ DataTraceEnabled: false, LoggingLevel: 'ERROR' })],
      AccessLogSetting: Match.objectLike({ DestinationArn: Match.anyValue() }),
    });
  });
});
