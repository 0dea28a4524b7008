import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  AuthorizationType,
  CognitoUserPoolsAuthorizer,
  EndpointType,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  ResponseType,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import type { IUserPool, IUserPoolClient } from 'aws-cdk-lib/aws-cognito';
import type { TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { acceptedScopes, allowedClientIdsEnvVar } from '../../lambdas/contracts/auth';
import { corsAllowHeaders, corsAllowMethods, corsAllowedOriginsEnvVar, corsMaxAgeSeconds } from '../../lambdas/contracts/cors';
import { functions, tableActions, type FunctionName } from '../../lambdas/contracts/functions';
import { gatewayResponseBody, gatewayResponseHeaders, gatewayResponses, type GatewayResponseDefinition } from '../../lambdas/contracts/gateway-responses';
import { routes } from '../../lambdas/contracts/routes';
import { tables, type TableName } from '../../lambdas/contracts/tables';
import type { StageConfig } from '../config';
import { DscFunction } from '../constructs/dsc-function';
import { FhirWebAcl } from '../constructs/fhir-web-acl';

export interface ApiStackProps extends StackProps {
  readonly config: StageConfig;
  readonly logRetention: RetentionDays;
  readonly tables: Record<TableName, TableV2>;
  readonly dataKey: IKey;
  readonly userPool: IUserPool;
  readonly webClient: IUserPoolClient;
}

/** The FHIR REST API: functions split by privilege, routes from the shared table, WAF in front. */
export class ApiStack extends Stack {
  readonly api: RestApi;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const { config } = props;

    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: props.logRetention, removalPolicy: RemovalPolicy.RETAIN });
    this.api = new RestApi(this, 'FhirApi', {
      description: `DSC FHIR R4 API (${config.stage})`,
      endpointTypes: [EndpointType.REGIONAL],
      // Preflight (OPTIONS) methods answer browsers without a token; they reach no function.
      defaultCorsPreflightOptions:
        config.corsAllowedOrigins.length > 0
          ? { allowOrigins: config.corsAllowedOrigins, allowHeaders: corsAllowHeaders, allowMethods: corsAllowMethods, maxAge: Duration.seconds(corsMaxAgeSeconds) }
          : undefined,
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
        accessLogFormat: AccessLogFormat.jsonWithStandardFields(),
        throttlingRateLimit: config.throttle.rateLimit,
        throttlingBurstLimit: config.throttle.burstLimit,
      },
    });

    const authorizer = new CognitoUserPoolsAuthorizer(this, 'StaffAuthorizer', {
      cognitoUserPools: [props.userPool],
      identitySource: 'method.request.header.Authorization',
    });

    const handlers = this.createFunctions(props);
    for (const route of routes) {
      const resource = this.api.root.resourceForPath(route.path);
      const integration = new LambdaIntegration(handlers[route.function], { proxy: true });
      resource.addMethod(
        route.method,
        integration,
        route.access === 'public'
          ? { authorizationType: AuthorizationType.NONE }
          : // Scopes make the authorizer demand an access token rather than an ID token.
            { authorizationType: AuthorizationType.COGNITO, authorizer, authorizationScopes: acceptedScopes(route.access) },
      );
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
    });

    new CfnOutput(this, 'FhirBaseUrl', { value: this.api.url.replace(/\/$/, '') });
  }

  /** One function per privilege group, each granted exactly the table access it declares. */
  private createFunctions(props: ApiStackProps): Record<FunctionName, NodejsFunction> {
    const entries = Object.entries(functions).map(([name, definition]) => {
      const environment: Record<string, string> = {
        [allowedClientIdsEnvVar]: props.webClient.userPoolClientId,
        [corsAllowedOriginsEnvVar]: props.config.corsAllowedOrigins.join(','),
      };
      const fn = new DscFunction(this, definition.id, { definition, environment, logRetention: props.logRetention }).function;
      for (const [tableName, access] of Object.entries(definition.tableAccess) as [TableName, keyof typeof tableActions][]) {
        const table = props.tables[tableName];
        fn.addEnvironment(tables[tableName].nameEnvVar, table.tableName);
        fn.addToRolePolicy(new PolicyStatement({ actions: [...tableActions[access]], resources: [table.tableArn] }));
        // DynamoDB decrypts with the table key on the caller's behalf; only writers need to encrypt.
        if (access === 'read') props.dataKey.grantDecrypt(fn);
        else props.dataKey.grantEncryptDecrypt(fn);
      }
      return [name, fn] as const;
    });
    return Object.fromEntries(entries) as Record<FunctionName, NodejsFunction>;
  }
}
