import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { JwtPayload } from 'aws-jwt-verify/jwt-model';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import * as path from 'node:path';
import { acceptedScopes } from '../lambdas/contracts/auth';
import { functions, type FunctionName } from '../lambdas/contracts/functions';
import { preflightHeaders } from '../lambdas/contracts/cors';
import { gatewayResponseBody, gatewayResponseHeaders, gatewayResponses, type GatewayResponseDefinition } from '../lambdas/contracts/gateway-responses';
import { isRoutedPath, matchRoute, type RouteDefinition } from '../lambdas/contracts/routes';
import { listClaim } from '../lambdas/access/principal';
import type { Verification } from './token-verifier';

type LambdaHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

export interface GatewayOptions {
  readonly port: number;
  readonly verifyToken: (token: string) => Promise<Verification>;
  /** Browser origins let in; empty means no CORS, as on a stage without origins. */
  readonly allowedOrigins: ReadonlySet<string>;
  /** Called once per request with a line for the console; no PHI (no ids, no bodies). */
  readonly log?: (line: string) => void;
}

/** API Gateway's own payload limit. */
const maxBodyBytes = 10 * 1024 * 1024;
const repositoryRoot = path.resolve(__dirname, '..');

/**
 * A local stand-in for API Gateway: routes by the shared route table, authorizes like the
 * Cognito authorizer, builds REST (v1) proxy events and calls the very handler modules that
 * are deployed. Handlers are imported only after the caller has set their environment.
 */
export async function startGateway(options: GatewayOptions): Promise<Server> {
  const handlers = await loadHandlers();
  const server = createServer((req, res) => {
    const started = Date.now();
    serve(req, res, handlers, options)
      .catch((error: Error) => {
        // As API Gateway does when an integration fails: 502, with the cause kept to the console.
        options.log?.(`gateway error: ${error.name}`);
        if (!res.headersSent) send(res, { ...gatewayResponses.default5xx, statusCode: 502 }, options);
        else res.destroy();
      })
      .finally(() => options.log?.(`${req.method} ${routeLabel(req)} ${res.statusCode} ${Date.now() - started} ms`));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  return server;
}

async function loadHandlers(): Promise<Record<FunctionName, LambdaHandler>> {
  const loaded = await Promise.all(
    Object.entries(functions).map(async ([name, definition]) => {
      const module = (await import(path.join(repositoryRoot, definition.entry))) as { handler: LambdaHandler };
      return [name, module.handler] as const;
    }),
  );
  return Object.fromEntries(loaded) as Record<FunctionName, LambdaHandler>;
}

async function serve(req: IncomingMessage, res: ServerResponse, handlers: Record<FunctionName, LambdaHandler>, options: GatewayOptions): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://gateway.local');
  // Preflight methods exist on every routed path once CORS is on; they need no token.
  if (req.method === 'OPTIONS' && options.allowedOrigins.size > 0 && isRoutedPath(url.pathname)) {
    res.writeHead(204, preflightHeaders(req.headers.origin, options.allowedOrigins));
    return void res.end();
  }
  const match = matchRoute(req.method ?? 'GET', url.pathname);
  if (!match) return send(res, gatewayResponses.noSuchRoute, options);

  let claims: JwtPayload | undefined;
  if (match.route.access !== 'public') {
    const token = bearerToken(req.headers.authorization);
    const verification = token ? await options.verifyToken(token) : undefined;
    if (!verification?.ok) return send(res, gatewayResponses.unauthorized, options);
    if (!hasAcceptedScope(verification.claims, match.route)) return send(res, gatewayResponses.accessDenied, options);
    claims = verification.claims;
  }

  const body = await readBody(req);
  if (body === undefined) return send(res, gatewayResponses.tooLarge, options);

  const event = proxyEvent(req, url, match.route, match.pathParameters, body, claims);
  const functionName = match.route.function;
  const result = await handlers[functionName](event, lambdaContext(functionName, event.requestContext.requestId));
  res.writeHead(result.statusCode, result.headers as Record<string, string>);
  res.end(result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body);
}

/** The Cognito authorizer takes the raw token or a Bearer token in the Authorization header. */
function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  return header.replace(/^Bearer\s+/i, '').trim() || undefined;
}

function hasAcceptedScope(claims: JwtPayload, route: RouteDefinition): boolean {
  if (route.access === 'public') return true;
  const granted = listClaim(claims.scope);
  return acceptedScopes(route.access).some((scope) => granted.includes(scope));
}

function readBody(req: IncomingMessage): Promise<string | null | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBodyBytes) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > maxBodyBytes ? undefined : size === 0 ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** The REST API proxy event, with claims stringified as the Cognito authorizer hands them over. */
function proxyEvent(
  req: IncomingMessage,
  url: URL,
  route: RouteDefinition,
  pathParameters: Record<string, string>,
  body: string | null,
  claims: JwtPayload | undefined,
): APIGatewayProxyEvent {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    const values = Array.isArray(value) ? value : [value];
    headers[name] = values.join(',');
    multiValueHeaders[name] = values;
  }
  headers['x-forwarded-proto'] = 'http';
  const query = [...url.searchParams.keys()];
  const sourceIp = req.socket.remoteAddress ?? '127.0.0.1';
  return {
    resource: route.path,
    path: url.pathname,
    httpMethod: route.method,
    headers,
    multiValueHeaders,
    queryStringParameters: query.length ? Object.fromEntries(url.searchParams) : null,
    multiValueQueryStringParameters: query.length ? Object.fromEntries(query.map((key) => [key, url.searchParams.getAll(key)])) : null,
    pathParameters: Object.keys(pathParameters).length ? pathParameters : null,
    stageVariables: null,
    body,
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: claims ? { claims: stringifyClaims(claims) } : undefined,
      httpMethod: route.method,
      path: url.pathname,
      protocol: `HTTP/${req.httpVersion}`,
      requestId: randomUUID(),
      requestTimeEpoch: Date.now(),
      resourceId: 'local',
      resourcePath: route.path,
      stage: 'local',
      identity: {
        sourceIp,
        userAgent: req.headers['user-agent'] ?? null,
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        user: null,
        userArn: null,
      },
    },
  };
}

function stringifyClaims(claims: JwtPayload): Record<string, string> {
  return Object.fromEntries(Object.entries(claims).map(([name, value]) => [name, Array.isArray(value) ? value.join(',') : String(value)]));
}

function lambdaContext(functionName: string, requestId: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: `dsc-local-${functionName}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:ca-central-1:000000000000:function:dsc-local-${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: requestId,
    logGroupName: `/local/dsc/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 10_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function send(res: ServerResponse, response: GatewayResponseDefinition, options: GatewayOptions): void {
  res.writeHead(response.statusCode ?? 500, { ...gatewayResponseHeaders(options.allowedOrigins.size > 0), ...response.headers });
  res.end(gatewayResponseBody(response));
}

/** Method and route template only: concrete paths can hold patient ids. */
function routeLabel(req: IncomingMessage): string {
  const match = matchRoute(req.method ?? 'GET', new URL(req.url ?? '/', 'http://gateway.local').pathname);
  return match ? match.route.path : '(no route)';
}
