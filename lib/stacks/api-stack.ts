import { CfnOutput, Duration, RemovalPolicy, Size, Stack, type StackProps } from 'aws-cdk-lib';
import {
  AccessLogField,
  AccessLogFormat,
  AuthorizationType,
  CognitoUserPoolsAuthorizer,
  DomainName,
  EndpointAccessMode,
  EndpointType,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  MockIntegration,
  PassthroughBehavior,
  RequestValidator,
  ResponseType,
  RestApi,
  SecurityPolicy,
  type CfnMethod,
  type CfnRestApi,
  type CfnStage,
  type Method,
  type MethodDeploymentOptions,
} from 'aws-cdk-lib/aws-apigateway';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import type { IUserPool, IUserPoolClient } from 'aws-cdk-lib/aws-cognito';
import type { TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, type CfnRole } from 'aws-cdk-lib/aws-iam';
import { Key, type IKey } from 'aws-cdk-lib/aws-kms';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { FilterPattern, LogGroup, SubscriptionFilter, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { LambdaDestination } from 'aws-cdk-lib/aws-logs-destinations';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption, type CfnQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { gatewayRefusalTypes, type AccessLogRecord } from '../../lambdas/audit/gateway-refusal';
import { acceptedScopes } from '../../lambdas/contracts/auth';
import { bucketNames, type BucketAccess, type BucketName } from '../../lambdas/contracts/buckets';
import { corsAllowHeaders, corsMaxAgeSeconds } from '../../lambdas/contracts/cors';
import { environmentFor, functionNames, functions, tableActions, type FunctionDefinition, type FunctionName } from '../../lambdas/contracts/functions';
import { gatewayResponseBody, gatewayResponseHeaders, gatewayResponses, methodNotAllowedResponse, type GatewayResponseDefinition } from '../../lambdas/contracts/gateway-responses';
import { maxRequestBodyBytes } from '../../lambdas/contracts/request-limits';
import { securityHeaders } from '../../lambdas/contracts/security-headers';
import { methodsOf, resourcePaths, routes, type FhirInteraction, type RouteDefinition } from '../../lambdas/contracts/routes';
import { tableNames, tables, type TableDefinition, type TableName } from '../../lambdas/contracts/tables';
import { skName, versionPrefix } from '../../lambdas/store/keys';
import type { StageConfig } from '../config';
import { ApiAlarms } from '../constructs/api-alarms';
import type { AttachmentsBucket } from '../constructs/attachments-bucket';
import { DscFunction } from '../constructs/dsc-function';
import { EncryptedSqsDlq } from '../constructs/encrypted-sqs-dlq';
import { FhirWebAcl } from '../constructs/fhir-web-acl';
import { OperationsDashboard } from '../constructs/operations-dashboard';
import { errorTypeLogField, OperationsMetrics } from '../constructs/operations-metrics';
import type { JournalArchive } from '../constructs/journal-archive';
import { acknowledgeNagFinding } from '../nag/acknowledge';

export interface ApiStackProps extends StackProps {
  readonly config: StageConfig;
  readonly logRetention: RetentionDays;
  readonly tables: Record<TableName, TableV2>;
  readonly dataKey: IKey;
  /** Encrypts the function, access and WAF log groups (the security stack's logs key). */
  readonly logsKey: IKey;
  /** The data stack's Object-Locked journal archive, which the journal archiver function writes. */
  readonly journalArchive: JournalArchive;
  /** The data stack's buckets, which grant each function what its `bucketAccess` declares. */
  readonly buckets: Record<BucketName, AttachmentsBucket>;
  readonly userPool: IUserPool;
  /** The operators' alarm topic (security stack). */
  readonly alarmTopic: ITopic;
  /** The app clients whose access tokens the API accepts. */
  readonly apiClients: readonly IUserPoolClient[];
}


/**
 * Concurrency reserved for the functions that could overrun the record table, which is on demand
 * and starts at 4,000 write units a second. A create spends about 6 WCU there (version, identifier and
 * compartment items, in a transaction) and the indexer about 15 more for its search items
 * (docs/performance.md): 21 WCU per create. Ten writers at ~50 ms each make at most ~200 creates a
 * second, ~4,200 WCU: the table's initial ceiling. The indexer runs one invocation per stream shard;
 * ten covers the shards of a table that size and keeps it from being starved by the API's functions.
 * Reads spend one Query and their journal entry goes to the audit table: left unreserved, capped by
 * the stage throttle. The account needs 100 unreserved above these (a default quota of 1,000 does).
 */
const reservedConcurrency: Partial<Record<FunctionName, number>> = {
  recordWrite: 10,
  searchIndexer: 10,
  // A flood of bad tokens must not take the account's concurrency: throttled asynchronous events wait in
  // Lambda's queue and are retried for up to six hours, so a small reservation delays entries, never loses them.
  gatewayRefusalJournal: 2,
};

/** Why each other function may share the account's unreserved pool (given to the nag packs). */
const unreservedBecause: Partial<Record<FunctionName, string>> = {
  metadata: 'it builds the CapabilityStatement from code and touches no table; the stage throttle bounds it, and a reservation would only take capacity from the account pool',
  recordRead: 'each read spends one Query on the record table and one journal put on the audit table; the stage throttle bounds it well below the on-demand ceilings, and a reservation would cap reads in a surge of care',
  journal: 'privacy officers alone call it, for AuditEvent searches and access reports; the stage throttle bounds it, and a reservation would only take capacity from the account pool',
  staffAdmin: 'user administrators alone call it, for a few account changes an hour; Cognito\'s admin API quotas and the stage throttle bound it far below the audit table\'s capacity',
  journalArchiver: 'the audit stream runs it one batch per shard at a time (parallelization factor 1), so its shard count bounds its concurrency; it writes only the archive bucket',
};

/**
 * Settings of every method, repeated in each per-method setting, which would otherwise fall back to
 * API Gateway's defaults. Execution logs at ERROR without data tracing, no caching: bodies carry PHI.
 */
const stageMethodSettings = { metricsEnabled: true, loggingLevel: MethodLoggingLevel.ERROR, dataTraceEnabled: false, cachingEnabled: false } as const;

/** The stage, named for the FHIR release it serves: the base URL ends in /r4. */
const fhirStageName = 'r4';

/** Interactions that carry a FHIR body: API Gateway refuses them without a Content-Type (415), as the function would. */
export const bodyInteractions: ReadonlySet<FhirInteraction> = new Set(['create', 'update', 'patch', 'conditional-update', 'conditional-patch', 'transaction', 'type-operation']);

/**
 * The data key actions a function needs for its table accesses, all through DynamoDB: reading decrypts;
 * writing, appending and indexing encrypt too (the read function encrypts for its journal appends).
 */
function dataKeyActions(accesses: readonly (keyof typeof tableActions)[]): string[] {
  if (accesses.length === 0) return [];
  const decrypt = ['kms:Decrypt'];
  // What DynamoDB documents it uses a customer managed key for, spelled out instead of `kms:ReEncrypt*` and `kms:GenerateDataKey*`.
  const encrypt = ['kms:Encrypt', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext'];
  return accesses.every((access) => access === 'read') ? decrypt : [...decrypt, ...encrypt];
}

/**
 * The access log line: API Gateway's standard JSON fields, plus who called: the Cognito subject and
 * app client of the access token (empty on public routes). The gateway refusal journal reads it by
 * these names (`AccessLogRecord`), which the type below keeps in step.
 */
export const accessLogFields = {
  requestId: AccessLogField.contextRequestId(),
  ip: AccessLogField.contextIdentitySourceIp(),
  user: AccessLogField.contextIdentityUser(),
  caller: AccessLogField.contextIdentityCaller(),
  requestTime: AccessLogField.contextRequestTime(),
  httpMethod: AccessLogField.contextHttpMethod(),
  resourcePath: AccessLogField.contextResourcePath(),
  // The actual path, with the stage in front: which resource a refused request was after (the journal needs it).
  path: AccessLogField.contextPath(),
  userAgent: AccessLogField.contextIdentityUserAgent(),
  status: AccessLogField.contextStatus(),
  protocol: AccessLogField.contextProtocol(),
  responseLength: AccessLogField.contextResponseLength(),
  sub: AccessLogField.contextAuthorizerClaims('sub'),
  clientId: AccessLogField.contextAuthorizerClaims('client_id'),
  // The gateway response type of a refusal (UNAUTHORIZED, ACCESS_DENIED, WAF_FILTERED, THROTTLED...): the authentication-failure metric reads it.
  [errorTypeLogField]: AccessLogField.contextErrorResponseType(),
  // Which TLS the client negotiated: evidence for the TLS 1.2+ control.
  tlsVersion: '$context.tlsVersion',
} satisfies Record<keyof AccessLogRecord, string> & Record<string, string>;

/** The FHIR REST API: functions split by privilege, routes from the shared table, WAF in front. */
export class ApiStack extends Stack {
  readonly api: RestApi;
  /** Batches a stream function gave up on after every retry, by function name. */
  private readonly deadLetterQueues: Record<string, Queue> = {};

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const { config } = props;

    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: props.logRetention, encryptionKey: props.logsKey, removalPolicy: RemovalPolicy.RETAIN });
    this.api = new RestApi(this, 'FhirApi', {
      // A label, not an identifier: API Gateway metrics are keyed by it, so each stage has its own.
      restApiName: `dsc-fhir-${config.stage}`,
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
        stageName: fhirStageName,
        tracingEnabled: true,
        ...stageMethodSettings,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: AccessLogFormat.custom(JSON.stringify(accessLogFields)),
        throttlingRateLimit: config.throttle.rateLimit,
        throttlingBurstLimit: config.throttle.burstLimit,
        methodOptions: writeThrottles(config.throttle),
        // Responses carry PHI: never cached by the gateway (cachingEnabled is false in every method setting).
        cacheClusterEnabled: false,
      },
    });
    // TLS 1.3 and 1.2 only, forward-secret GCM suites; a regional API otherwise accepts TLS 1.0. STRICT
    // refuses requests whose TLS name (SNI) is not this API's: the policy cannot be sidestepped.
    const restApi = this.api.node.defaultChild as CfnRestApi;
    restApi.securityPolicy = SecurityPolicy.TLS13_1_2_PFS_PQ_2025_09;
    restApi.endpointAccessMode = EndpointAccessMode.STRICT;
    acknowledgeNagFinding(
      restApi,
      'AwsSolutions-APIG2',
      'bodies are FHIR JSON, bytes to the gateway (binary media types); the write function validates them against the official R4 schema (lambdas/fhir/validation.ts) and answers an OperationOutcome, which a gateway model would only duplicate, weaker',
    );
    // Execution logging (ERROR) needs the account's API Gateway logging role; no other DSC stack sets it.
    acknowledgeNagFinding(
      this.api.node.findChild('CloudWatchRole').node.defaultChild as CfnRole,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      'the account-level role API Gateway assumes to write the execution logs of each REST API in this account and region, to log groups it names itself; AWS maintains the policy for that service alone',
    );
    const stage = this.api.deploymentStage.node.defaultChild as CfnStage;
    for (const pack of ['HIPAA.Security', 'NIST.800.53.R5']) {
      acknowledgeNagFinding(stage, `${pack}-APIGWCacheEnabledAndEncrypted`, 'caching is off on every method of the stage and there is no cache cluster, so the gateway stores no response carrying PHI and has no cache to encrypt');
      acknowledgeNagFinding(stage, `${pack}-APIGWSSLEnabled`, 'every integration is a Lambda proxy or a mock: API Gateway invokes Lambda through its signed API, and a client certificate only authenticates HTTP backends, of which the stage has none');
    }
    // Bodies are bytes to the gateway (binary media types), so only parameters can be validated here.
    const requireHeaders = new RequestValidator(this, 'RequiredHeaders', { restApi: this.api, validateRequestParameters: true, validateRequestBody: false });

    const authorizer = new CognitoUserPoolsAuthorizer(this, 'StaffAuthorizer', {
      cognitoUserPools: [props.userPool],
      identitySource: 'method.request.header.Authorization',
    });

    const handlers = this.createFunctions(props);
    this.journalGatewayRefusals(accessLogs, handlers);
    // A handful of generic resources serve every R4 type: /{type}, /{type}/{id}, … (see routes.ts).
    for (const path of resourcePaths) {
      const resource = this.api.root.resourceForPath(path);
      const methods = methodsOf(path);
      for (const route of routes.filter((candidate) => candidate.path === path)) {
        const method = resource.addMethod(route.method, new LambdaIntegration(handlers[route.function].function, { proxy: true }), {
          ...(route.access === 'public'
            ? { authorizationType: AuthorizationType.NONE }
            : // Scopes make the authorizer demand an access token rather than an ID token.
              { authorizationType: AuthorizationType.COGNITO, authorizer, authorizationScopes: acceptedScopes(route.access) }),
          ...(carriesBody(route) ? { requestValidator: requireHeaders, requestParameters: { 'method.request.header.Content-Type': true } } : {}),
        });
        if (route.access === 'public') acknowledgeNoAuthorizer(method, publicBecause(route));
      }
      // A known path with another method: 405 with Allow, from the gateway, instead of API Gateway's 403.
      const notAllowed = methodNotAllowedResponse(methods);
      const notAllowedMethod = resource.addMethod(
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
      acknowledgeNoAuthorizer(notAllowedMethod, 'a MOCK integration: the gateway itself answers 405 with the Allow header, reaching no function and no data, so there is nothing to authorize');
      // Preflight (OPTIONS) answers browsers without a token, listing only this path's methods.
      if (config.corsAllowedOrigins.length > 0) {
        const preflight = resource.addCorsPreflight({ allowOrigins: config.corsAllowedOrigins, allowHeaders: corsAllowHeaders, allowMethods: [...methods, 'OPTIONS'], maxAge: Duration.seconds(corsMaxAgeSeconds) });
        withSecurityHeaders(preflight);
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

    const webAcl = new FhirWebAcl(this, 'WebAcl', {
      stageArn: this.api.deploymentStage.stageArn,
      rateLimitPer5Minutes: config.wafRateLimitPer5Minutes,
      maxBodyBytes: maxRequestBodyBytes,
      allowedCountries: config.wafAllowedCountries,
      allowedIpRanges: config.wafAllowedIpRanges,
      logRetention: props.logRetention,
      logsKey: props.logsKey,
    });

    if (config.customDomain) {
      // The same policy as the API's: API Gateway negotiates with the API's policy behind a custom domain.
      const domain = new DomainName(this, 'CustomDomain', {
        domainName: config.customDomain.domainName,
        certificate: Certificate.fromCertificateArn(this, 'CustomDomainCertificate', config.customDomain.certificateArn),
        endpointType: EndpointType.REGIONAL,
        securityPolicy: SecurityPolicy.TLS13_1_2_PFS_PQ_2025_09,
        endpointAccessMode: EndpointAccessMode.STRICT,
      });
      // Under the stage's name, so the FHIR base has the same shape on both hosts (…/r4).
      domain.addBasePathMapping(this.api, { stage: this.api.deploymentStage, basePath: fhirStageName });
      new CfnOutput(this, 'CustomDomainTarget', { description: 'DNS alias (CNAME or Route 53 alias) for the custom domain', value: domain.domainNameAliasDomainName });
    }

    const metrics = new OperationsMetrics(this, 'Metrics', {
      namespace: `DSC/${config.stage}`,
      api: this.api,
      accessLogs,
      functions: Object.fromEntries(Object.entries(handlers).map(([name, handler]) => [name, handler.function])),
      journalingLogGroups: Object.entries(handlers).filter(([name]) => journals(functions[name as FunctionName])).map(([, handler]) => handler.logGroup),
      streamFunctions: Object.fromEntries(Object.entries(handlers).filter(([name]) => functions[name as FunctionName].trigger.endsWith('-stream')).map(([name, handler]) => [name, handler.function])),
      tables: props.tables,
      deadLetterQueues: this.deadLetterQueues,
      webAcl: { metricName: webAcl.metricName, region: this.region },
    });
    new ApiAlarms(this, 'Alarms', { metrics, topic: props.alarmTopic });
    new OperationsDashboard(this, 'Dashboard', { metrics, stage: config.stage });

    new CfnOutput(this, 'FhirBaseUrl', { value: this.api.url.replace(/\/$/, '') });
  }

  /** One function per privilege group, with exactly the environment and table access it declares. */
  private createFunctions(props: ApiStackProps): Record<FunctionName, DscFunction> {
    const values = {
      tableNames: Object.fromEntries(tableNames.map((name) => [name, props.tables[name].tableName])) as Record<TableName, string>,
      bucketNames: Object.fromEntries(bucketNames.map((name) => [name, props.buckets[name].bucket.bucketName])) as Record<BucketName, string>,
      allowedClientIds: props.apiClients.map((client) => client.userPoolClientId),
      corsAllowedOrigins: props.config.corsAllowedOrigins,
      userPoolId: props.userPool.userPoolId,
    };
    const entries = Object.entries(functions).map(([name, definition]) => {
      const handler = new DscFunction(this, definition.id, {
        definition,
        environment: environmentFor(definition, values),
        logRetention: props.logRetention,
        logsKey: props.logsKey,
        reservedConcurrency: reservedConcurrency[name as FunctionName],
        unreservedBecause: unreservedBecause[name as FunctionName],
        ...(definition.trigger === 'api-access-log'
          ? // A delivery can hold thousands of refusals under a flood of bad tokens, one put each.
            { deadLetterQueue: this.deadLetterQueue(name, definition), memorySize: 256, timeout: Duration.minutes(1) }
          : {}),
      });
      const fn = handler.function;
      const accesses = Object.entries(definition.tableAccess) as [TableName, keyof typeof tableActions][];
      for (const [tableName, access] of accesses) {
        const table = props.tables[tableName];
        fn.addToRolePolicy(new PolicyStatement({ actions: [...tableActions[access]], resources: [table.tableArn] }));
        // A Query on a global index is authorised on the index's ARN, not the table's.
        const definedTable: TableDefinition = tables[tableName];
        if (definedTable.globalIndexes && tableActions[access].includes('dynamodb:Query')) {
          fn.addToRolePolicy(new PolicyStatement({ actions: ['dynamodb:Query'], resources: definedTable.globalIndexes.map((index) => `${table.tableArn}/index/${index.name}`) }));
        }
      }
      for (const [bucket, access] of Object.entries((definition as FunctionDefinition).bucketAccess ?? {}) as [BucketName, BucketAccess][]) props.buckets[bucket].grantContent(fn, access);
      // Exactly the Cognito actions the function declares, on the staff pool alone.
      if ('userPoolActions' in definition) fn.addToRolePolicy(new PolicyStatement({ actions: [...definition.userPoolActions], resources: [props.userPool.userPoolArn] }));
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
            onFailure: this.deadLetterQueue(name, definition),
            filters: [FilterCriteria.filter({ eventName: inserts, dynamodb: { Keys: { [skName]: { S: FilterRule.beginsWith(versionPrefix) } } } })],
          }),
        );
      }
      if (definition.trigger === 'audit-stream') props.journalArchive.archiveWith(fn, props.tables.audit, this.deadLetterQueue(name, definition));
      return [name, handler] as const;
    });
    return Object.fromEntries(entries) as Record<FunctionName, DscFunction>;
  }

  /**
   * Every line of the access log that records a refusal of the authorizer goes to the functions that
   * journal them. CloudWatch Logs decrypts the KMS-encrypted lines itself to deliver them, and may
   * invoke the function only for this log group (the permission's source ARN).
   */
  private journalGatewayRefusals(accessLogs: LogGroup, handlers: Record<FunctionName, DscFunction>): void {
    const refusals = FilterPattern.any(...gatewayRefusalTypes.map((type) => FilterPattern.stringValue(`$.${errorTypeLogField}`, '=', type)));
    for (const name of functionNames.filter((candidate) => functions[candidate].trigger === 'api-access-log')) {
      new SubscriptionFilter(this, `${functions[name].id}Subscription`, { logGroup: accessLogs, destination: new LambdaDestination(handlers[name].function), filterPattern: refusals });
    }
  }

  /**
   * Where a stream function's batches, or an asynchronous function's events, go once retries are
   * spent: a stream batch's shard and sequence numbers (no record content), or the event itself,
   * kept 14 days for a replay (runbook), under a key of its own.
   */
  private deadLetterQueue(name: string, definition: FunctionDefinition): EncryptedSqsDlq {
    const key = new Key(this, `${definition.id}DeadLettersKey`, {
      description: `DSC ${definition.id} dead letters (SQS)`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const queue = new Queue(this, `${definition.id}DeadLetters`, {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const role = definition.trigger === 'api-access-log' ? `dead-letter queue of ${definition.id}'s asynchronous invocations` : `on-failure destination of ${definition.id}'s stream mapping`;
    acknowledgeNagFinding(queue.node.defaultChild as CfnQueue, 'AwsSolutions-SQS3', `the queue is itself the ${role}, read only by an operator replaying what it names`);
    this.deadLetterQueues[name] = queue;
    return new EncryptedSqsDlq(queue, key);
  }
}

/** Why each interaction that routes serve without a token may be public. */
const publicInteractions: Partial<Record<FhirInteraction, string>> = {
  capabilities: 'FHIR clients read the CapabilityStatement (GET /metadata) before they authenticate; the metadata function builds it from code, and it holds no patient data',
};

function publicBecause(route: RouteDefinition): string {
  const reason = publicInteractions[route.interaction];
  if (reason === undefined) throw new Error(`${route.method} ${route.path} is public: say why in publicInteractions`);
  return reason;
}

/** A method API Gateway serves without a token: the authorizer rules of the AwsSolutions pack, with why it is safe. */
function acknowledgeNoAuthorizer(method: Method, reason: string): void {
  const cfnMethod = method.node.defaultChild as CfnMethod;
  for (const ruleId of ['AwsSolutions-APIG4', 'AwsSolutions-COG4']) acknowledgeNagFinding(cfnMethod, ruleId, reason);
}

function carriesBody(route: RouteDefinition): boolean {
  return bodyInteractions.has(route.interaction);
}

/** A function that appends to the access journal: its log carries the break-glass alerts. */
function journals(definition: FunctionDefinition): boolean {
  return Object.values(definition.tableAccess).includes('append');
}

/**
 * Per-method throttles for the writes, under the stage's: a burst no larger than the write
 * function's reserved concurrency, so excess writes get the gateway's 429 rather than a Lambda throttle.
 */
function writeThrottles(stage: StageConfig['throttle']): Record<string, MethodDeploymentOptions> {
  const writers = reservedConcurrency.recordWrite ?? stage.burstLimit;
  // ~10 writes a second per concurrent writer (one transaction of ~100 ms, cold starts aside).
  const limits = { ...stageMethodSettings, throttlingRateLimit: Math.min(stage.rateLimit, writers * 10), throttlingBurstLimit: Math.min(stage.burstLimit, writers) };
  return Object.fromEntries(routes.filter((route) => route.function === 'recordWrite').map((route) => [`${route.path}/${route.method}`, limits]));
}

/**
 * Adds the security headers to a CORS preflight method, which CDK builds without them (its options
 * take CORS headers only). Overrides, because the mapping keys contain dots: `\\.` escapes them.
 */
function withSecurityHeaders(preflight: Method): void {
  const cfnMethod = preflight.node.defaultChild as CfnMethod;
  for (const [name, value] of Object.entries(securityHeaders)) {
    const key = `method\\.response\\.header\\.${name}`;
    cfnMethod.addPropertyOverride(`Integration.IntegrationResponses.0.ResponseParameters.${key}`, `'${value}'`);
    cfnMethod.addPropertyOverride(`MethodResponses.0.ResponseParameters.${key}`, true);
  }
}
