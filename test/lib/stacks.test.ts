import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { roles } from '../../lambdas/access/roles';
import { functions, tableActions } from '../../lambdas/contracts/functions';
import { matchRoute, methodsOf, resourcePaths, routes } from '../../lambdas/contracts/routes';
import { resolveStageConfig } from '../../lib/config';
import { createDscStacks } from '../../lib/dsc-app';
import { auditTableDeniedActions } from '../../lib/stacks/data-stack';

/** A resource of a synthesized template. */
interface CfnResource<Properties> {
  readonly Type: string;
  readonly Properties: Properties;
  readonly DeletionPolicy?: string;
}

/**
 * The properties the tests read, by resource type, as CloudFormation names them. A declaration at
 * the template's boundary, not a check: the assertions check the values.
 */
interface PropertiesOf {
  'AWS::Cognito::UserPoolGroup': { readonly GroupName: string };
  'AWS::Cognito::UserPoolClient': { readonly AllowedOAuthScopes: readonly unknown[] };
  'AWS::DynamoDB::GlobalTable': {
    readonly BillingMode: string;
    readonly SSESpecification: unknown;
    readonly Replicas: readonly { readonly SSESpecification: { readonly KMSMasterKeyId: unknown } }[];
    readonly KeySchema: unknown;
  };
  'AWS::KMS::Key': { readonly EnableKeyRotation?: boolean; readonly KeyPolicy: { readonly Statement: readonly PolicyStatementJson[] } };
  'AWS::Logs::LogGroup': { readonly KmsKeyId?: unknown };
  'AWS::ApiGateway::RestApi': Record<string, unknown>;
  'AWS::ApiGateway::Resource': {
    /** `{ Ref }` to the parent resource, or `{ 'Fn::GetAtt': [restApi, 'RootResourceId'] }` under the root. */
    readonly ParentId: unknown;
    readonly PathPart: string;
  };
  'AWS::ApiGateway::Method': MethodProperties;
  'AWS::ApiGateway::Stage': Record<string, unknown>;
  'AWS::Lambda::Function': {
    readonly Handler?: string;
    readonly Runtime?: string;
    readonly Architectures?: readonly string[];
    readonly TracingConfig?: unknown;
    /** Read only on our own functions (Handler index.handler), which all have one. */
    readonly Environment: { readonly Variables: Readonly<Record<string, string>> };
  };
  'AWS::IAM::Policy': { readonly Roles: unknown; readonly PolicyDocument: { readonly Statement: readonly PolicyStatementJson[] } };
  'AWS::WAFv2::WebACL': { readonly Scope: string; readonly Rules: readonly WebAclRule[] };
}

interface PolicyStatementJson {
  readonly Action: string | readonly string[];
  readonly Resource?: unknown;
  readonly Principal?: unknown;
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

interface MethodProperties {
  readonly HttpMethod: string;
  /** `{ Ref }` to its resource, or the root's `Fn::GetAtt`. */
  readonly ResourceId: unknown;
  readonly AuthorizationType: string;
  readonly AuthorizerId?: unknown;
  readonly AuthorizationScopes?: readonly string[];
  /** A Lambda proxy (AWS_PROXY) or, for CORS preflights and 405 answers, a MOCK with its responses. */
  readonly Integration: { readonly Type: string; readonly IntegrationResponses?: readonly IntegrationResponse[] };
}

interface IntegrationResponse {
  readonly StatusCode: string;
  readonly ResponseParameters: Readonly<Record<string, string>>;
  readonly ResponseTemplates: Readonly<Record<string, string>>;
}

interface WebAclRule {
  readonly Statement: { readonly ManagedRuleGroupStatement?: { readonly Name: string }; readonly RateBasedStatement?: unknown };
  readonly OverrideAction?: unknown;
  readonly Action?: unknown;
}

/** The logical id a `{ Ref }` names; undefined for anything else (the root's `Fn::GetAtt`, no value). */
function refOf(value: unknown): string | undefined {
  return typeof value === 'object' && value !== null && 'Ref' in value && typeof value.Ref === 'string' ? value.Ref : undefined;
}

let stacks: ReturnType<typeof createDscStacks>;
let security: Template;
let data: Template;
let auth: Template;
let api: Template;

beforeAll(() => {
  const app = new App();
  const config = resolveStageConfig('test', {
    test: { region: 'ca-central-1', authDomainPrefix: 'dsc-test', oauthCallbackUrls: ['https://app.example.org/cb'], corsAllowedOrigins: ['https://app.example.org'] },
  });
  stacks = createDscStacks(app, config, '111111111111');
  security = Template.fromStack(stacks.security);
  data = Template.fromStack(stacks.data);
  auth = Template.fromStack(stacks.auth);
  api = Template.fromStack(stacks.api);
});

function resourcesOf<Type extends keyof PropertiesOf>(template: Template, type: Type): Record<string, CfnResource<PropertiesOf[Type]>> {
  return template.findResources(type) as Record<string, CfnResource<PropertiesOf[Type]>>;
}

describe('auth stack', () => {
  it('is termination-protected and pins the logical id of the user pool (a change would replace it, and every account with it)', () => {
    expect(stacks.auth.terminationProtection).toBe(true);
    expect(Object.keys(auth.findResources('AWS::Cognito::UserPool'))).toEqual(['StaffPool2454FE40']);
  });

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
      AllowedOAuthScopes: Match.arrayWith(['openid', 'email']),
      PreventUserExistenceErrors: 'ENABLED',
    });
    // Custom scopes are joined from the resource server's identifier at deploy time.
    auth.hasResourceProperties('AWS::Cognito::UserPoolResourceServer', { Identifier: 'dsc-fhir', Scopes: Match.arrayWith([Match.objectLike({ ScopeName: 'fhir.read' })]) });
    const [client] = Object.values(resourcesOf(auth, 'AWS::Cognito::UserPoolClient'));
    expect(JSON.stringify(client?.Properties.AllowedOAuthScopes)).toMatch(/\/fhir\.read.*\/fhir\.write/);
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
      expect(replica?.SSESpecification.KMSMasterKeyId).toEqual({ 'Fn::ImportValue': expect.stringContaining('DataKey') as string });
      expect(table.Properties.KeySchema).toEqual([
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ]);
    }
  });
});

describe('data stack: audit of the tables', () => {
  const tableId = (prefix: string) => Object.keys(resourcesOf(data, 'AWS::DynamoDB::GlobalTable')).find((id) => id.startsWith(prefix));

  it('records every item-level read and write on the record and audit tables in a trail of its own, the security stack depending on nothing', () => {
    data.hasResourceProperties('AWS::CloudTrail::Trail', {
      IsLogging: true,
      EnableLogFileValidation: true,
      KMSKeyId: { 'Fn::ImportValue': Match.stringLikeRegexp('TrailKey') },
      S3BucketName: { 'Fn::ImportValue': Match.stringLikeRegexp('TrailBucket') },
      // Exactly these selectors: no readOnly filter, so reads (GetItem, Query) are recorded as well as writes.
      AdvancedEventSelectors: [
        {
          FieldSelectors: [
            { Field: 'eventCategory', Equals: ['Data'] },
            { Field: 'resources.type', Equals: ['AWS::DynamoDB::Table'] },
            { Field: 'resources.ARN', Equals: [{ 'Fn::GetAtt': [tableId('RecordTable'), 'Arn'] }, { 'Fn::GetAtt': [tableId('AuditTable'), 'Arn'] }] },
          ],
        },
        // The attachments' objects (test/lib/attachments-bucket.test.ts).
        { FieldSelectors: Match.arrayWith([{ Field: 'resources.type', Equals: ['AWS::S3::Object'] }]) },
      ],
    });
    // The account trail keeps management events; the table trail adds none of its own.
    expect(JSON.stringify(data.findResources('AWS::CloudTrail::Trail'))).not.toContain('IncludeManagementEvents');
    expect(stacks.security.dependencies).toEqual([]);
  });

  it('denies updating, deleting, batch-writing and scanning audit entries, PartiQL included, to every principal but the break-glass role', () => {
    // The backup selection's service role is the data stack's other role (see data-stack.test.ts).
    const [roleId, ...otherRoles] = Object.keys(data.findResources('AWS::IAM::Role')).filter((id) => !id.startsWith('BackupsPlanTablesRole'));
    expect(roleId).toMatch(/^AuditBreakGlassRole[0-9A-F]{8}$/);
    expect(otherRoles).toEqual([]);
    const denyStatement = {
      Sid: 'AuditJournalIsAppendOnly',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: Match.arrayWith([...auditTableDeniedActions]),
      Resource: '*',
      Condition: { ArnNotEquals: { 'aws:PrincipalArn': { 'Fn::GetAtt': [roleId, 'Arn'] } } },
    };
    const audit = resourcesOf(data, 'AWS::DynamoDB::GlobalTable')[tableId('AuditTable') ?? ''];
    expect(audit?.Properties.Replicas).toEqual([expect.objectContaining({ ResourcePolicy: { PolicyDocument: { Version: '2012-10-17', Statement: [expect.anything()] } } })]);
    data.hasResourceProperties('AWS::DynamoDB::GlobalTable', { Replicas: [Match.objectLike({ ResourcePolicy: { PolicyDocument: { Statement: [denyStatement] } } })] });
    expect(auditTableDeniedActions).toEqual(
      expect.arrayContaining(['dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:Scan', 'dynamodb:PartiQLUpdate', 'dynamodb:PartiQLDelete', 'dynamodb:PartiQLSelect']),
    );
    // The record table has no such policy: the write function deletes its index items.
    const record = resourcesOf(data, 'AWS::DynamoDB::GlobalTable')[tableId('RecordTable') ?? ''];
    expect(JSON.stringify(record?.Properties.Replicas)).not.toContain('ResourcePolicy');
  });

  it('lets only the account, with MFA, assume the break-glass role, which holds no permissions', () => {
    data.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: 'sts:AssumeRole',
            Principal: { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::111111111111:root']] } },
            Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } },
          },
        ],
      },
      ManagedPolicyArns: Match.absent(),
      Policies: Match.absent(),
    });
    data.resourceCountIs('AWS::IAM::Policy', 0);
    data.resourceCountIs('AWS::IAM::ManagedPolicy', 0);
  });
});

describe('security stack', () => {
  it('is termination-protected and pins the logical ids of the keys and the trail (a change would replace them)', () => {
    expect(stacks.security.terminationProtection).toBe(true);
    expect(Object.keys(resourcesOf(security, 'AWS::KMS::Key')).sort()).toEqual(['AlarmsKey3C2381B3', 'DataKey17AFBB84', 'LogsKeyA6AB43B2', 'TrailKey38EB2549']);
    expect(Object.keys(security.findResources('AWS::CloudTrail::Trail'))).toEqual(['Trail022F0CF2']);
    expect(Object.keys(security.findResources('AWS::S3::Bucket')).sort()).toEqual(['AccessLogsBucketCD784A59', 'TrailBucketA831CE63']);
  });

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

  it('lets CloudWatch Logs use the trail and logs keys only for log groups of this account and region', () => {
    const keys = resourcesOf(security, 'AWS::KMS::Key');
    const logsStatements = (keyId: string) =>
      (keys[keyId]?.Properties.KeyPolicy.Statement ?? []).filter((statement) => JSON.stringify(statement.Principal).includes('logs.'));
    for (const keyId of ['TrailKey38EB2549', 'LogsKeyA6AB43B2']) {
      const statements = logsStatements(keyId);
      expect(statements, keyId).toHaveLength(1);
      for (const statement of statements) {
        expect(statement.Principal).toEqual({ Service: 'logs.ca-central-1.amazonaws.com' });
        expect(Object.keys(statement.Condition ?? {}), keyId).toEqual(['ArnLike']);
        expect(statement.Condition?.ArnLike, keyId).toEqual({
          'kms:EncryptionContext:aws:logs:arn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:ca-central-1:111111111111:log-group:*']] },
        });
      }
    }
    expect(logsStatements('DataKey17AFBB84')).toEqual([]);
  });

  it('retains the logs key, and encrypts every log group of the security stack with a customer key', () => {
    expect(resourcesOf(security, 'AWS::KMS::Key').LogsKeyA6AB43B2?.DeletionPolicy).toBe('Retain');
    const groups = Object.entries(resourcesOf(security, 'AWS::Logs::LogGroup'));
    expect(groups.length).toBeGreaterThan(0);
    for (const [id, group] of groups) expect(group.Properties.KmsKeyId, id).toEqual({ 'Fn::GetAtt': ['TrailKey38EB2549', 'Arn'] });
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
  function methodsByRoute(): Record<string, MethodProperties> {
    const resources = resourcesOf(api, 'AWS::ApiGateway::Resource');
    const pathOf = (id: unknown): string => {
      const ref = refOf(id);
      if (!ref) return '';
      const resource = resources[ref];
      if (!resource) throw new Error(`no resource ${ref}`);
      return `${pathOf(resource.Properties.ParentId)}/${resource.Properties.PathPart}`;
    };
    return Object.fromEntries(
      Object.values(resourcesOf(api, 'AWS::ApiGateway::Method')).map((method) => [`${method.Properties.HttpMethod} ${pathOf(method.Properties.ResourceId) || '/'}`, method.Properties]),
    );
  }

  it('has exactly the methods of the shared route table, besides CORS preflights and 405 answers', () => {
    const methods = Object.keys(methodsByRoute()).filter((route) => !route.startsWith('OPTIONS ') && !route.startsWith('ANY '));
    expect(methods.sort()).toEqual(routes.map((route) => `${route.method} ${route.path}`).sort());
  });

  it('stays far below the CloudFormation and API Gateway resource limits whatever the number of FHIR types', () => {
    const count = Object.keys((api.toJSON() as { Resources: Record<string, unknown> }).Resources).length;
    // Every routed path and its parents (such as /admin, which serves nothing itself); the root (`POST /`) is the RestApi's own.
    const withParents = new Set(resourcePaths.filter((path) => path !== '/').flatMap((path) => path.split('/').slice(1).map((_, i, parts) => `/${parts.slice(0, i + 1).join('/')}`)));
    expect(Object.keys(resourcesOf(api, 'AWS::ApiGateway::Resource'))).toHaveLength(withParents.size);
    expect(count).toBeLessThan(250); // CloudFormation allows 500 per stack
  });

  it('answers CORS preflights for the stage origins without a token, listing only each path\'s methods, and reaches no function', () => {
    const preflights = Object.entries(methodsByRoute()).filter(([route]) => route.startsWith('OPTIONS '));
    expect(preflights.map(([route]) => route).sort()).toEqual(resourcePaths.map((path) => `OPTIONS ${path}`).sort());
    for (const [route, method] of preflights) {
      expect(method.AuthorizationType).toBe('NONE');
      expect(method.Integration.Type).toBe('MOCK');
      const responses = JSON.stringify(method.Integration.IntegrationResponses);
      expect(responses).toContain("'https://app.example.org'");
      expect(responses).toContain(`'${[...methodsOf(route.slice('OPTIONS '.length)), 'OPTIONS'].join(',')}'`);
    }
  });

  it('answers a known path with an unserved method 405, with Allow and an OperationOutcome, from the gateway', () => {
    const answers = Object.entries(methodsByRoute()).filter(([route]) => route.startsWith('ANY '));
    expect(answers.map(([route]) => route).sort()).toEqual(resourcePaths.map((path) => `ANY ${path}`).sort());
    for (const [route, method] of answers) {
      const [response] = method.Integration.IntegrationResponses ?? [];
      expect(method.Integration.Type).toBe('MOCK');
      expect(response?.StatusCode).toBe('405');
      expect(response?.ResponseParameters['method.response.header.Allow']).toBe(`'${methodsOf(route.slice('ANY '.length)).join(', ')}'`);
      expect(response?.ResponseTemplates['application/json']).toContain('"resourceType":"OperationOutcome"');
    }
  });

  it('resolves requests to the same route as the local gateway (literal segments before parameters)', () => {
    // An independent walk of the synthesized resource tree, as API Gateway resolves a path.
    const resources = resourcesOf(api, 'AWS::ApiGateway::Resource');
    const children = (parent: unknown) => Object.entries(resources).filter(([, r]) => JSON.stringify(r.Properties.ParentId) === JSON.stringify(parent));
    const [restApiId] = Object.keys(resourcesOf(api, 'AWS::ApiGateway::RestApi'));
    const rootRef = { 'Fn::GetAtt': [restApiId, 'RootResourceId'] };
    const methods = Object.values(resourcesOf(api, 'AWS::ApiGateway::Method'));
    const deployedRoute = (method: string, path: string): string | undefined => {
      let parent: unknown = rootRef;
      let template = '';
      for (const segment of path.split('/').filter(Boolean)) {
        const options = children(parent);
        const next = options.find(([, r]) => r.Properties.PathPart === segment) ?? options.find(([, r]) => /^\{.+\}$/.test(r.Properties.PathPart));
        if (!next) return undefined;
        parent = { Ref: next[0] };
        template += `/${next[1].Properties.PathPart}`;
      }
      const onResource = methods.filter((m) => JSON.stringify(m.Properties.ResourceId) === JSON.stringify(parent));
      const exact = onResource.find((m) => m.Properties.HttpMethod === method);
      if (exact) return `${method} ${template || '/'}`;
      return onResource.some((m) => m.Properties.HttpMethod === 'ANY') ? `405 ${template}` : undefined;
    };
    const localRoute = (method: string, path: string): string | undefined => {
      const match = matchRoute(method, path);
      if (!match) return undefined;
      return match.kind === 'route' ? `${match.route.method} ${match.route.path}` : `405 ${match.resourcePath}`;
    };
    const requests = [
      ['GET', '/metadata'], ['POST', '/metadata'], ['GET', '/Patient'], ['POST', '/Patient'], ['PUT', '/Patient'], ['DELETE', '/Patient'], ['PATCH', '/Patient'],
      ['POST', '/Observation/_search'], ['GET', '/Observation/_search'], ['GET', '/Observation/_history'], ['DELETE', '/Observation/_history'],
      ['GET', '/Patient/abc'], ['PUT', '/Patient/abc'], ['PATCH', '/Patient/abc'], ['DELETE', '/Patient/abc'], ['POST', '/Patient/abc'],
      ['GET', '/Patient/abc/_history'], ['GET', '/Patient/abc/_history/2'], ['PUT', '/Patient/abc/_history/2'],
      ['GET', '/Patient/abc/$everything'], ['GET', '/Patient/abc/Observation'], ['POST', '/Patient/abc/$everything'],
      ['GET', '/Patient/_history/2'], ['GET', '/Patient/abc/_history/2/x'], ['GET', '/a/b/c/d/e'],
      ['GET', '/AuditEvent'], ['POST', '/AuditEvent'], ['PUT', '/AuditEvent'], ['PATCH', '/AuditEvent'], ['DELETE', '/AuditEvent'], ['GET', '/AuditEvent/abc'], ['PUT', '/AuditEvent/abc'],
      ['GET', '/AuditEvent/_history'], ['GET', '/Patient/abc/$access-report'], ['POST', '/Patient/abc/$access-report'], ['GET', '/Observation/abc/$access-report'],
      ['GET', '/admin'], ['POST', '/admin'], ['GET', '/admin/users'], ['POST', '/admin/users'], ['DELETE', '/admin/users'], ['GET', '/admin/users/u1'], ['PATCH', '/admin/users/u1'],
      ['DELETE', '/admin/users/u1'], ['POST', '/admin/users/u1/sign-out'], ['GET', '/admin/users/u1/sign-out'], ['GET', '/admin/users/u1/x'],
    ];
    for (const [method, path] of requests) expect(localRoute(method!, path!), `${method} ${path}`).toBe(deployedRoute(method!, path!));
  });

  it('gives every API function the stage origins, and gateway errors a CORS header so browsers can read a 401', () => {
    const fns = Object.values(resourcesOf(api, 'AWS::Lambda::Function')).filter((fn) => fn.Properties.Handler === 'index.handler' && fn.Properties.Environment.Variables.CORS_ALLOWED_ORIGINS !== undefined);
    expect(fns).toHaveLength(Object.values(functions).filter((fn) => fn.trigger === 'api').length);
    for (const fn of fns) expect(fn.Properties.Environment.Variables.CORS_ALLOWED_ORIGINS).toBe('https://app.example.org');
    api.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'UNAUTHORIZED',
      ResponseParameters: Match.objectLike({ 'gatewayresponse.header.Access-Control-Allow-Origin': "'*'" }),
    });
  });

  it('puts the Cognito authorizer, with access-token scopes, on every non-OPTIONS method but GET /metadata', () => {
    api.hasResourceProperties('AWS::ApiGateway::Authorizer', { Type: 'COGNITO_USER_POOLS', IdentitySource: 'method.request.header.Authorization' });
    for (const [route, method] of Object.entries(methodsByRoute())) {
      if (method.HttpMethod === 'OPTIONS' || method.HttpMethod === 'ANY') continue;
      if (route === 'GET /metadata') {
        expect(method.AuthorizationType).toBe('NONE');
        continue;
      }
      expect(method.AuthorizationType, route).toBe('COGNITO_USER_POOLS');
      expect(method.AuthorizerId, route).toBeDefined();
      // Only this API's custom scopes: the sign-in scope would let a stolen token change the account.
      expect(method.AuthorizationScopes, route).not.toContain('aws.cognito.signin.user.admin');
      expect(method.AuthorizationScopes, route).toEqual([expect.stringMatching(/^dsc-fhir\//)]);
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
        .flatMap((statement) => [statement.Action].flat())
        .filter((action: string) => action.startsWith('dynamodb:'));
    expect(dynamoActionsOf(functions.metadata.id)).toEqual([]);
    expect(new Set(dynamoActionsOf(functions.recordRead.id))).toEqual(new Set([...tableActions.read, ...tableActions.append]));
    expect(dynamoActionsOf(functions.recordRead.id)).not.toContain('dynamodb:UpdateItem');
    expect(new Set(dynamoActionsOf(functions.recordWrite.id))).toEqual(new Set([...tableActions.write, ...tableActions.append]));
    expect(new Set(dynamoActionsOf(functions.journal.id))).toEqual(new Set(tableActions.journal));
    expect(new Set(dynamoActionsOf(functions.staffAdmin.id))).toEqual(new Set(tableActions.append));
    // The indexer also reads the stream (granted by the event source), and touches the record table only.
    expect(new Set(dynamoActionsOf(functions.searchIndexer.id).filter((action: string) => !/Stream|Shard|GetRecords/.test(action)))).toEqual(new Set(tableActions.index));
    const all = policies.flatMap((policy) => policy.Properties.PolicyDocument.Statement).flatMap((statement) => [statement.Action].flat());
    expect(all.filter((action: string) => /dynamodb:(Scan|\*)/.test(action))).toEqual([]);
  });

  it('lets the journal function Query the agent index, and no other function any index', () => {
    const statements = Object.values(resourcesOf(api, 'AWS::IAM::Policy')).flatMap((policy) =>
      policy.Properties.PolicyDocument.Statement.map((statement) => ({ roles: JSON.stringify(policy.Properties.Roles), statement })),
    );
    const onIndexes = statements.filter(({ statement }) => JSON.stringify(statement.Resource).includes('/index/'));
    expect(onIndexes.map(({ roles, statement }) => ({ journal: roles.includes(functions.journal.id), actions: [statement.Action].flat() }))).toEqual([{ journal: true, actions: ['dynamodb:Query'] }]);
    expect(JSON.stringify(onIndexes[0]?.statement.Resource)).toContain('/index/agent');
  });

  it('grants the staff admin function exactly its declared Cognito actions, on the staff pool only, with no delete; no other function any', () => {
    const cognitoStatements = Object.values(resourcesOf(api, 'AWS::IAM::Policy')).flatMap((policy) =>
      policy.Properties.PolicyDocument.Statement.filter((statement) => [statement.Action].flat().some((action) => action.startsWith('cognito-idp:'))).map((statement) => ({
        roles: JSON.stringify(policy.Properties.Roles),
        statement,
      })),
    );
    expect(cognitoStatements).toHaveLength(1);
    const [{ roles: holder, statement } = { roles: '', statement: { Action: [] } }] = cognitoStatements;
    expect(holder).toContain(functions.staffAdmin.id);
    expect(new Set([statement.Action].flat())).toEqual(new Set(functions.staffAdmin.userPoolActions));
    expect([statement.Action].flat().filter((action) => /Delete(User|Group)$|\*/.test(action))).toEqual([]);
    expect(JSON.stringify(statement.Resource)).toMatch(/StaffPool.*Arn/);
    const [fn] = Object.values(resourcesOf(api, 'AWS::Lambda::Function')).filter((candidate) => candidate.Properties.Environment.Variables.USER_POOL_ID !== undefined);
    expect(JSON.stringify(fn?.Properties.Environment.Variables.USER_POOL_ID)).toMatch(/StaffPool/);
  });

  it('lets functions use the data key only through DynamoDB (the read function encrypts its journal appends that way too)', () => {
    const viaDynamoDb = { StringEquals: { 'kms:ViaService': 'dynamodb.ca-central-1.amazonaws.com' } };
    const allKmsStatements = Object.values(resourcesOf(api, 'AWS::IAM::Policy')).flatMap((policy) =>
      policy.Properties.PolicyDocument.Statement.filter((statement) => [statement.Action].flat().some((action) => action.startsWith('kms:'))).map((statement) => ({
        roles: JSON.stringify(policy.Properties.Roles),
        statement,
      })),
    );
    // Each dead-letter queue (of a stream function, or of the asynchronously invoked refusal journal) has a key of its own, which only that function uses, to send what failed through SQS.
    const onDeadLetterKey = ({ statement }: { statement: PolicyStatementJson }) => JSON.stringify(statement.Resource).includes('DeadLettersKey');
    const deadLetterKeyUsers = [functions.searchIndexer.id, functions.journalArchiver.id, functions.gatewayRefusalJournal.id];
    expect(
      allKmsStatements.filter(onDeadLetterKey).map(({ roles, statement }) => ({ user: deadLetterKeyUsers.find((id) => roles.includes(id)), key: JSON.stringify(statement.Resource), actions: statement.Action })),
    ).toEqual(deadLetterKeyUsers.map((id) => ({ user: id, key: expect.stringContaining(`${id}DeadLettersKey`) as string, actions: ['kms:GenerateDataKey', 'kms:Decrypt'] })));
    const kmsStatements = allKmsStatements.filter((entry) => !onDeadLetterKey(entry));
    expect(kmsStatements.length).toBeGreaterThan(0);
    // Every key permission of the API stack is on the data key (the logs key is the logs service's alone).
    for (const { statement } of kmsStatements) expect(JSON.stringify(statement.Resource)).toMatch(/DataKey/);
    // The journal archiver encrypts its archive objects through S3 (see data-stack.test.ts).
    const viaS3 = { StringEquals: { 'kms:ViaService': 's3.ca-central-1.amazonaws.com' } };
    const unconditioned = kmsStatements.filter(({ statement }) => ![viaDynamoDb, viaS3].some((condition) => JSON.stringify(statement.Condition) === JSON.stringify(condition)));
    // The one exception: the stream read CDK's DynamoEventSource grants the indexer (Decrypt and DescribeKey,
    // no encrypt); kms:ViaService for DynamoDB Streams reads is not documented, so it is left as CDK grants it.
    expect(unconditioned.map(({ roles, statement }) => ({ indexer: roles.includes(functions.searchIndexer.id), actions: [statement.Action].flat() }))).toEqual([
      { indexer: true, actions: ['kms:Decrypt', 'kms:DescribeKey'] },
      { indexer: false, actions: ['kms:Decrypt', 'kms:DescribeKey'] }, // the journal archiver's audit stream read, the same grant
    ]);
    const conditionedActionsOf = (functionId: string) =>
      kmsStatements.filter(({ roles, statement }) => roles.includes(functionId) && JSON.stringify(statement.Condition) === JSON.stringify(viaDynamoDb)).flatMap(({ statement }) => [statement.Action].flat());
    expect(conditionedActionsOf(functions.metadata.id)).toEqual([]);
    expect(kmsStatements.filter(({ roles }) => roles.includes(functions.metadata.id))).toEqual([]);
    for (const fn of [functions.recordRead, functions.recordWrite, functions.searchIndexer, functions.journal, functions.staffAdmin]) {
      // DynamoDB's documented uses of a customer managed key, without the wildcards (AwsSolutions-IAM5).
      expect(new Set(conditionedActionsOf(fn.id)), fn.id).toEqual(new Set(['kms:Decrypt', 'kms:Encrypt', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext']));
    }
  });

  it('encrypts every log group of the API stack (functions, access logs, WAF) with the logs key', () => {
    const groups = Object.entries(resourcesOf(api, 'AWS::Logs::LogGroup'));
    expect(groups.length).toBe(Object.keys(functions).length + 2);
    for (const [id, group] of groups) expect(JSON.stringify(group.Properties.KmsKeyId), id).toMatch(/^\{"Fn::ImportValue":"Dsc-test-Security:ExportsOutputFnGetAttLogsKey[^"]*Arn[^"]*"\}$/);
  });

  it('logs the caller (Cognito subject and app client) with the standard fields in every access log line', () => {
    const [stage] = Object.values(resourcesOf(api, 'AWS::ApiGateway::Stage'));
    const setting = stage?.Properties.AccessLogSetting as { readonly Format: string } | undefined;
    const format = JSON.parse(setting?.Format ?? '{}') as Record<string, string>;
    expect(Object.values(format)).toEqual(
      expect.arrayContaining(['$context.authorizer.claims.sub', '$context.authorizer.claims.client_id', '$context.requestId', '$context.identity.sourceIp', '$context.status']),
    );
    expect(format.sub).toBe('$context.authorizer.claims.sub');
    expect(format.clientId).toBe('$context.authorizer.claims.client_id');
  });

  it('feeds the search indexer from the record table stream, new version items only, retrying failed records', () => {
    api.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      StartingPosition: 'TRIM_HORIZON',
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ eventName: ['INSERT'], dynamodb: { Keys: { sk: { S: [{ prefix: 'v#' }] } } } }) }] },
    });
    data.hasResourceProperties('AWS::DynamoDB::GlobalTable', { StreamSpecification: { StreamViewType: 'NEW_IMAGE' } });
  });

  it('passes every request body to the functions as bytes (binary media types), so UTF-8 is decoded strictly', () => {
    api.hasResourceProperties('AWS::ApiGateway::RestApi', { BinaryMediaTypes: ['*/*'], MinimumCompressionSize: 8192 });
  });

  it('associates a blocking WAF web ACL with the API stage', () => {
    const acl: Partial<PropertiesOf['AWS::WAFv2::WebACL']> = Object.values(resourcesOf(api, 'AWS::WAFv2::WebACL'))[0]?.Properties ?? {};
    expect(acl.Scope).toBe('REGIONAL');
    const rules = acl.Rules ?? [];
    const managed = rules.filter((rule) => rule.Statement.ManagedRuleGroupStatement);
    expect(managed.map((rule) => rule.Statement.ManagedRuleGroupStatement?.Name)).toEqual(
      expect.arrayContaining(['AWSManagedRulesCommonRuleSet', 'AWSManagedRulesKnownBadInputsRuleSet', 'AWSManagedRulesSQLiRuleSet', 'AWSManagedRulesAmazonIpReputationList']),
    );
    for (const rule of managed) expect(rule.OverrideAction).toEqual({ None: {} });
    expect(rules.find((rule) => rule.Statement.RateBasedStatement)).toMatchObject({ Action: { Block: {} } });
    const [stageId] = Object.keys(resourcesOf(api, 'AWS::ApiGateway::Stage'));
    api.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      ResourceArn: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith([{ Ref: stageId }])]) }),
    });
  });

  it('logs WAF decisions with the Authorization and Cookie headers redacted', () => {
    api.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', { RedactedFields: [{ SingleHeader: { Name: 'authorization' } }, { SingleHeader: { Name: 'cookie' } }] });
  });

  it('keeps bearer tokens and cookies out of sampled requests and logs alike (web ACL data protection)', () => {
    api.hasResourceProperties('AWS::WAFv2::WebACL', {
      VisibilityConfig: Match.objectLike({ SampledRequestsEnabled: true }),
      DataProtectionConfig: {
        DataProtections: [{ Action: 'SUBSTITUTION', Field: { FieldType: 'SINGLE_HEADER', FieldKeys: ['authorization', 'cookie'] } }],
      },
    });
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
      MethodSettings: Match.arrayWith([Match.objectLike({ ResourcePath: '/*', HttpMethod: '*', DataTraceEnabled: false, LoggingLevel: 'ERROR' })]),
      AccessLogSetting: Match.objectLike({ DestinationArn: Match.anyValue() }),
    });
  });
});
