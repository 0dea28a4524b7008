import { CfnOutput, Duration, RemovalPolicy, Size, Stack, type StackProps } from 'aws-cdk-lib';
import {
  AccessLogField,
  AccessLogFormat,
  AuthorizationType,
  CognitoUserPoolsAuthorizer,
  EndpointType,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  MockIntegration,
  PassthroughBehavior,
  ResponseType,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import type { IUserPool, IUserPoolClient } from 'aws-cdk-lib/aws-cognito';
import type { TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { acceptedScopes } from '../../lambdas/contracts/auth';
import { corsAllowHeaders, corsMaxAgeSeconds } from '../../lambdas/contracts/cors';
import { environmentFor, functions, tableActions, type FunctionName } from '../../lambdas/contracts/functions';
import { gatewayResponseBody, gatewayResponseHeaders, gatewayResponses, methodNotAllowedResponse, type GatewayResponseDefinition } from '../../lambdas/contracts/gateway-responses';
import { methodsOf, resourcePaths, routes } from '../../lambdas/contracts/routes';
import { tableNames, type TableName } from '../../lambdas/contracts/tables';
import { skName, versionPrefix } from '../../lambdas/store/keys';
import type { StageConfig } from '../config';
import { DscFunction } from '../constructs/dsc-function';
import { FhirWebAcl } from '../constructs/fhir-web-acl';

export interface ApiStackProps extends StackProps {
  readonly config: StageConfig;
  readonly logRetention: RetentionDays;
  readonly tables: Record<TableName, TableV2>;
  readonly dataKey: IKey;
  /** Encrypts the function, access and WAF log groups (the security stack's logs key). */
  readonly logsKey: IKey;
  readonly userPool: IUserPool;
  readonly webClient: IUserPoolClient;
}

/**
 * The data key actions a function needs for its table accesses, all through DynamoDB: reading decrypts;
 * writing, appending and indexing encrypt too (the read function encrypts for its journal appends).
 */
function dataKeyActions(accesses: readonly (keyof typeof tableActions)[]): string[] {
  if (accesses.length === 0) return [];
  const decrypt = ['kms:Decrypt'];
  return accesses.every((access) => access === 'read') ? decrypt : [...decrypt, 'kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'];
}

/**
 * The access log line: API Gateway's standard JSON fields, plus who called: the Cognito subject and
 * app client of the access token (empty on public routes).
 */
export const accessLogFields = {
  requestId: AccessLogField.contextRequestId(),
  ip: AccessLogField.contextIdentitySourceIp(),
  user: AccessLogField.contextIdentityUser(),
  caller: AccessLogField.contextIdentityCaller(),
  requestTime: AccessLogField.contextRequestTime(),
  httpMethod: AccessLogField.contextHttpMethod(),
  resourcePath: AccessLogField.contextResourcePath(),
  status: AccessLogField.contextStatus(),
  protocol: AccessLogField.contextProtocol(),
  responseLength: AccessLogField.contextResponseLength(),
  sub: AccessLogField.contextAuthorizerClaims('sub'),
  clientId: AccessLogField.contextAuthorizerClaims('client_id'),
};

/** The FHIR REST API: functions split by privilege, routes from the shared table, WAF in front. */
export class ApiStack extends Stack {
  readonly api: RestApi;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const { config } = props;

    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: props.logRetention, encryptionKey: props.logsKey, removalPolicy: RemovalPolicy.RETAIN });
    this.api = new RestApi(this, 'FhirApi', {
      description: `DSC FHIR R4 API (${config.stage})`,
      endpointTypes: [EndpointType.REGIONAL],
      // Every body reaches the functions base64-encoded, as bytes: they decode UTF-8 strictly
      // (API Gateway would otherwise pass invalid UTF-8 on silently altered).
      binaryMediaTypes: ['*/*'],
      // Searchsets and the CapabilityStatement are large, repetitive JSON: gzip them for clients that accept it.
      minCompressionSize: Size.kibibytes(8),
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: 'r4',
        tracingEnabled: true,
        metricsEnabled: true,
        // Execution logs at ERROR without data tracing: request and response bodies carry PHI.
        loggingLevel: MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: AccessLogFormat.custom(JSON.stringify(accessLogFields)),
        throttlingRateLimit: config.throttle.rateLimit,
        throttlingBurstLimit: config.throttle.burstLimit,
      },
    });

    const authorizer = new CognitoUserPoolsAuthorizer(this, 'StaffAuthorizer', {
      cognitoUserPools: [props.userPool],
      identitySource: 'method.request.header.Authorization',
    });

    const handlers = this.createFunctions(props);
    // A handful of generic resources serve every R4 type: /{type}, /{type}/{id}, … (see routes.ts).
    for (const path of resourcePaths) {
      const resource = this.api.root.resourceForPath(path);
      const methods = methodsOf(path);
      for (const route of routes.filter((candidate) => candidate.path === path)) {
        resource.addMethod(
          route.method,
          new LambdaIntegration(handlers[route.function], { proxy: true }),
          route.access === 'public'
            ? { authorizationType: AuthorizationType.NONE }
            : // Scopes make the authorizer demand an access token rather than an ID token.
              { authorizationType: AuthorizationType.COGNITO, authorizer, authorizationScopes: acceptedScopes(route.access) },
        );
      }
      // A known path with another method: 405 with Allow, from the gateway, instead of API Gateway's 403.
      const notAllowed = methodNotAllowedResponse(methods);
      resource.addMethod(
        'ANY',
        new MockIntegration({
          requestTemplates: { 'application/json': '{"statusCode": 405}' },
          passthroughBehavior: PassthroughBehavior.NEVER,
          integrationResponses: [
            {
              statusCode: '405',
              responseParameters: Object.fromEntries(Object.entries({ ...gatewayResponseHeaders(config.corsAllowedOrigins.length > 0), ...notAllowed.headers }).map(([name, value]) => [`method.response.header.${name}`, `'${value}'`])),
              responseTemplates: { 'application/json': notAllowed.body },
            },
          ],
        }),
        {
          authorizationType: AuthorizationType.NONE,
          methodResponses: [
            { statusCode: '405', responseParameters: Object.fromEntries(Object.keys({ ...gatewayResponseHeaders(config.corsAllowedOrigins.length > 0), ...notAllowed.headers }).map((name) => [`method.response.header.${name}`, true])) },
          ],
        },
      );
      // Preflight (OPTIONS) answers browsers without a token, listing only this path's methods.
      if (config.corsAllowedOrigins.length > 0) {
        resource.addCorsPreflight({ allowOrigins: config.corsAllowedOrigins, allowHeaders: corsAllowHeaders, allowMethods: [...methods, 'OPTIONS'], maxAge: Duration.seconds(corsMaxAgeSeconds) });
      }
    }

    for (const [name, response] of Object.entries<GatewayResponseDefinition>(gatewayResponses)) {
      const body = gatewayResponseBody(response);
      this.api.addGatewayResponse(`GatewayResponse-${name}`, {
        type: ResponseType.of(response.type),
        statusCode: response.statusCode === undefined ? undefined : String(response.statusCode),
        // Gateway response header values are mapping expressions: literals go in single quotes.
        responseHeaders: Object.fromEntries(
          Object.entries({ ...gatewayResponseHeaders(config.corsAllowedOrigins.length > 0), ...response.headers }).map(([name, value]) => [name, `'${value}'`]),
        ),
        templates: { 'application/json': body, 'application/fhir+json': body },
      });
    }

    new FhirWebAcl(this, 'WebAcl', {
      stageArn: this.api.deploymentStage.stageArn,
      rateLimitPer5Minutes: config.wafRateLimitPer5Minutes,
      logRetention: props.logRetention,
      logsKey: props.logsKey,
    });

    new CfnOutput(this, 'FhirBaseUrl', { value: this.api.url.replace(/\/$/, '') });
  }

  /** One function per privilege group, with exactly the environment and table access it declares. */
  private createFunctions(props: ApiStackProps): Record<FunctionName, NodejsFunction> {
    const values = {
      tableNames: Object.fromEntries(tableNames.map((name) => [name, props.tables[name].tableName])) as Record<TableName, string>,
      allowedClientIds: [props.webClient.userPoolClientId],
      corsAllowedOrigins: props.config.corsAllowedOrigins,
    };
    const entries = Object.entries(functions).map(([name, definition]) => {
      const fn = new DscFunction(this, definition.id, { definition, environment: environmentFor(definition, values), logRetention: props.logRetention, logsKey: props.logsKey }).function;
      const accesses = Object.entries(definition.tableAccess) as [TableName, keyof typeof tableActions][];
      for (const [tableName, access] of accesses) {
        const table = props.tables[tableName];
        fn.addToRolePolicy(new PolicyStatement({ actions: [...tableActions[access]], resources: [table.tableArn] }));
      }
      const keyActions = dataKeyActions(accesses.map(([, access]) => access));
      if (keyActions.length > 0) {
        // DynamoDB uses the table key on the caller's behalf; the function may not use it directly.
        fn.addToRolePolicy(
          new PolicyStatement({
            sid: 'DataKeyOnlyThroughDynamoDB',
            actions: keyActions,
            resources: [props.dataKey.keyArn],
            conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${this.region}.amazonaws.com` } },
          }),
        );
      }
      if (definition.trigger === 'record-stream') {
        // New version items only; the handler checks again. Failed records are retried from where they failed.
        const inserts: unknown = FilterRule.isEqual('INSERT'); // typed `any` by aws-cdk-lib
        fn.addEventSource(
          new DynamoEventSource(props.tables.record, {
            startingPosition: StartingPosition.TRIM_HORIZON,
            batchSize: 100,
            retryAttempts: 10,
            bisectBatchOnError: true,
            reportBatchItemFailures: true,
            filters: [FilterCriteria.filter({ eventName: inserts, dynamodb: { Keys: { [skName]: { S: FilterRule.beginsWith(versionPrefix) } } } })],
          }),
        );
      }
      return [name, fn] as const;
    });
    return Object.fromEntries(entries) as Record<FunctionName, NodejsFunction>;
  }
}
