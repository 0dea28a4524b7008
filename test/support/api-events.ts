import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';

export const testClientId = 'web-client-id';

/** Environment a record function receives from the API stack. */
export const testOrigin = 'https://app.example.org';
export const recordFunctionEnv = {
  RECORD_TABLE_NAME: 'record-table',
  AUDIT_TABLE_NAME: 'audit-table',
  ALLOWED_CLIENT_IDS: testClientId,
  CORS_ALLOWED_ORIGINS: testOrigin,
  AWS_REGION: 'ca-central-1',
};

export const staffClaims = (groups = 'physician') => ({
  sub: 'staff-sub',
  username: 'staff-sub',
  token_use: 'access',
  client_id: testClientId,
  scope: 'aws.cognito.signin.user.admin',
  'cognito:groups': groups,
});

/** A REST API (v1) proxy event as API Gateway sends it behind the r4 stage. */
export function proxyEvent(options: {
  method: string;
  resource: string;
  path: string;
  pathParameters?: Record<string, string>;
  body?: string;
  headers?: Record<string, string>;
  claims?: Record<string, string>;
}): APIGatewayProxyEvent {
  return {
    resource: options.resource,
    path: options.path,
    httpMethod: options.method,
    headers: { Host: 'abc123.execute-api.ca-central-1.amazonaws.com', 'X-Forwarded-Proto': 'https', ...options.headers },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: options.pathParameters ?? null,
    stageVariables: null,
    body: options.body ?? null,
    isBase64Encoded: false,
    requestContext: {
      path: `/r4${options.path}`,
      stage: 'r4',
      requestId: 'request-1',
      identity: { sourceIp: '192.0.2.10', userAgent: 'vitest' },
      authorizer: options.claims ? { claims: options.claims } : undefined,
    },
  } as unknown as APIGatewayProxyEvent;
}

export const lambdaContext = { awsRequestId: 'aws-request-1', functionName: 'test' } as Context;

export type LambdaHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** Imports a handler module after giving it the environment its function gets from the API stack. */
export async function loadRecordHandler(importModule: () => Promise<unknown>): Promise<LambdaHandler> {
  Object.assign(process.env, recordFunctionEnv);
  return ((await importModule()) as { handler: LambdaHandler }).handler;
}
