import { BatchGetCommand, DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, beforeEach, expect, vi } from 'vitest';
import { matchRoute } from '../../lambdas/contracts/routes';

export const testClientId = 'web-client-id';

/** Environment a record function receives from the API stack. */
export const testOrigin = 'https://app.example.org';
export const recordFunctionEnv = {
  RECORD_TABLE_NAME: 'record-table',
  AUDIT_TABLE_NAME: 'audit-table',
  ATTACHMENTS_BUCKET_NAME: 'attachments-bucket',
  ALLOWED_CLIENT_IDS: testClientId,
  CORS_ALLOWED_ORIGINS: testOrigin,
  AWS_REGION: 'ca-central-1',
};

/** The host and stage the events below come through; Location headers are built from them. */
export const testBaseUrl = 'https://abc123.execute-api.ca-central-1.amazonaws.com/r4';
export const testRequestId = 'request-1';

export const staffClaims = (groups = 'physician') => ({
  sub: 'staff-sub',
  username: 'staff-sub',
  token_use: 'access',
  client_id: testClientId,
  // What the pre-token-generation trigger leaves in a clinician's token: this API's scopes only.
  scope: 'dsc-fhir/fhir.read dsc-fhir/fhir.write',
  'cognito:groups': groups,
});

export interface EventOptions {
  /**
   * The request body. The API declares every media type binary, so API Gateway hands every body
   * over base64-encoded with `isBase64Encoded: true`; text is sent as its UTF-8 bytes, and
   * bytes as they are (to send what is not UTF-8).
   */
  readonly body?: string | Uint8Array;
  readonly headers?: Record<string, string>;
  readonly claims?: Record<string, string>;
  /** Query parameters, decoded, repeated names repeated. */
  readonly query?: readonly (readonly [string, string])[];
}

/** A REST API (v1) proxy event as API Gateway sends it behind the r4 stage. */
export function proxyEvent(
  options: EventOptions & {
    method: string;
    /** The API Gateway resource path template, e.g. `/{type}/{id}`. */
    resource: string;
    /** The concrete path below the stage, e.g. `/Observation/o1`. */
    path: string;
    pathParameters?: Record<string, string>;
  },
): APIGatewayProxyEvent {
  // A Map, so that a parameter named `__proto__` or `constructor` is a parameter like any other.
  const byName = new Map<string, string[]>();
  for (const [name, value] of options.query ?? []) byName.set(name, [...(byName.get(name) ?? []), value]);
  const multiValue = Object.fromEntries(byName);
  const hasQuery = Object.keys(multiValue).length > 0;
  return {
    resource: options.resource,
    path: options.path,
    httpMethod: options.method,
    headers: { Host: 'abc123.execute-api.ca-central-1.amazonaws.com', 'X-Forwarded-Proto': 'https', ...options.headers },
    multiValueHeaders: {},
    queryStringParameters: hasQuery ? Object.fromEntries(Object.entries(multiValue).map(([name, values]) => [name, values[values.length - 1]])) : null,
    multiValueQueryStringParameters: hasQuery ? multiValue : null,
    pathParameters: options.pathParameters ?? null,
    stageVariables: null,
    body: options.body === undefined ? null : base64Of(options.body),
    isBase64Encoded: options.body !== undefined,
    requestContext: {
      path: `/r4${options.path}`,
      stage: 'r4',
      requestId: testRequestId,
      identity: { sourceIp: '192.0.2.10', userAgent: 'vitest' },
      authorizer: options.claims ? { claims: options.claims } : undefined,
    },
  } as unknown as APIGatewayProxyEvent;
}

/**
 * The event for `method path`, resolved against the route table as API Gateway resolves it
 * (resource template and path parameters). `path` may carry a query string.
 */
export function requestEvent(method: string, path: string, options: EventOptions = {}): APIGatewayProxyEvent {
  const [pathOnly = '', search] = splitQuery(path);
  const match = matchRoute(method, pathOnly);
  if (match?.kind !== 'route') throw new Error(`No route serves ${method} ${pathOnly} (${match?.kind ?? 'no resource'})`);
  const query = [...(search === undefined ? [] : [...new URLSearchParams(search)]), ...(options.query ?? [])];
  return proxyEvent({ ...options, method: match.route.method, resource: match.route.path, path: pathOnly, pathParameters: match.pathParameters, query });
}

function base64Of(body: string | Uint8Array): string {
  return (typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body)).toString('base64');
}

function splitQuery(path: string): [string, string | undefined] {
  const mark = path.indexOf('?');
  return mark < 0 ? [path, undefined] : [path.slice(0, mark), path.slice(mark + 1)];
}

export const lambdaContext = { awsRequestId: 'aws-request-1', functionName: 'test' } as Context;

export type LambdaHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** Imports a handler module after giving it the environment its function gets from the API stack. */
export async function loadRecordHandler(importModule: () => Promise<unknown>): Promise<LambdaHandler> {
  Object.assign(process.env, recordFunctionEnv);
  return ((await importModule()) as { handler: LambdaHandler }).handler;
}

/**
 * A record function at unit level, over a stubbed DynamoDB document client (for handing back
 * stored items and injecting faults): loads the handler once, resets the stub before each test,
 * and checks after each that nothing scanned, since request cost must follow the result.
 */
export function mockedRecordFunction(importModule: () => Promise<unknown>) {
  const dynamo = mockClient(DynamoDBDocumentClient);
  const sentCommands = () => dynamo.calls().map((call) => (call.args[0] as object).constructor.name);
  let handler: LambdaHandler | undefined;
  beforeAll(async () => {
    handler = await loadRecordHandler(importModule);
  });
  beforeEach(() => {
    dynamo.reset();
    // The patient's restrictions: the Consents of their compartment, none unless a test says so
    // (a test's own Query stub answers every Query; the Consents it would point to are then not found).
    dynamo.on(QueryCommand, { ExpressionAttributeValues: { ':type': 'Consent/' } }).resolves({ Items: [] });
    dynamo.on(BatchGetCommand).resolves({ Responses: {} });
    vi.restoreAllMocks();
  });
  afterEach(() => {
    expect(sentCommands()).not.toContain('ScanCommand');
  });
  const invoke: LambdaHandler = (event, context) => {
    if (!handler) throw new Error('the handler is not loaded yet');
    return handler(event, context);
  };
  return { dynamo, sentCommands, handler: invoke };
}
