import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { JwtPayload } from 'aws-jwt-verify/jwt-model';
import type { Json } from 'aws-jwt-verify/safe-json-parse';
import { randomUUID } from 'node:crypto';
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { gzipSync } from 'node:zlib';
import type { AccessLogRecord } from '../lambdas/audit/gateway-refusal';
import { acceptedScopes } from '../lambdas/contracts/auth';
import type { FunctionName } from '../lambdas/contracts/functions';
import { preflightHeaders } from '../lambdas/contracts/cors';
import { securityHeaders } from '../lambdas/contracts/security-headers';
import { gatewayResponseBody, gatewayResponseHeaders, gatewayResponses, methodNotAllowedResponse, type GatewayResponseDefinition } from '../lambdas/contracts/gateway-responses';
import { matchRoute, methodsOf, resolveResource, type RouteDefinition } from '../lambdas/contracts/routes';
import { listClaim } from '../lambdas/access/principal';
import type { Verification } from './token-verifier';

import type { FunctionHost } from './functions/function-host';
import { listenOnLoopback } from './ports';

export interface GatewayOptions {
  readonly port: number;
  /** The authorizer: verification, then (locally only) the pre-token-generation step; see docs/local-mode.md. */
  readonly verifyToken: (token: string) => Promise<Verification>;
  /** Browser origins let in; empty means no CORS, as on a stage without origins. */
  readonly allowedOrigins: ReadonlySet<string>;
  /** The deployed functions, each running in its own worker (see FunctionHost). */
  readonly functions: ReadonlyMap<FunctionName, FunctionHost>;
  /** Called once per request with a line for the console; no PHI (no ids, no bodies). */
  readonly log?: (line: string) => void;
}

/** API Gateway's own payload limit. */
const maxBodyBytes = 10 * 1024 * 1024;

/**
 * A local stand-in for API Gateway: resolves resources and methods by the shared route table
 * (literal segments before parameters, 405 with Allow for a known path), authorizes like the
 * Cognito authorizer, builds REST (v1) proxy events with the body base64-encoded (the API's
 * binary media types are every type) and invokes the very handler modules that are deployed.
 */
export async function startGateway(options: GatewayOptions): Promise<Server> {
  const server = createServer((req, res) => {
    const started = Date.now();
    serve(req, res, options)
      .catch((error: unknown) => {
        // As API Gateway does when an integration fails: 502, with the cause kept to the console.
        options.log?.(`gateway error: ${error instanceof Error ? error.name : 'a thrown non-Error'}`);
        if (!res.headersSent) send(res, { ...gatewayResponses.default5xx, statusCode: 502 }, options);
        else res.destroy();
      })
      .finally(() => {
        options.log?.(`${req.method} ${routeLabel(req)} ${res.statusCode} ${Date.now() - started} ms`);
      });
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    answerUnparsable(error, socket, options);
  });
  return listenOnLoopback(server, options.port);
}

/**
 * A request Node's parser refuses (bad bytes in the request line or a header, conflicting framing)
 * never reaches `serve`; Node would answer a bare 400. It gets the gateway's OperationOutcome and
 * headers instead, as every other refusal does.
 */
function answerUnparsable(error: NodeJS.ErrnoException, socket: Duplex, options: GatewayOptions): void {
  if (error.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
  const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
  const body = gatewayResponseBody({ ...gatewayResponses.default4xx, diagnostics: 'The request is not well-formed HTTP' });
  const headers = { ...gatewayResponseHeaders(options.allowedOrigins.size > 0), 'Content-Length': String(Buffer.byteLength(body)), Connection: 'close' };
  const head = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`, ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)].join('\r\n');
  options.log?.(`(unparsable request) ${status}`);
  socket.end(`${head}\r\n\r\n${body}`);
}

async function serve(req: IncomingMessage, res: ServerResponse, options: GatewayOptions): Promise<void> {
  const url = requestUrl(req);
  const resource = resolveResource(url.pathname);
  // Preflight methods exist on every routed path once CORS is on; they need no token.
  if (req.method === 'OPTIONS' && options.allowedOrigins.size > 0 && resource) {
    res.writeHead(204, { ...preflightHeaders(req.headers.origin, options.allowedOrigins, methodsOf(resource.resourcePath)), ...securityHeaders });
    return void res.end();
  }
  const match = matchRoute(req.method ?? 'GET', url.pathname);
  if (!match) {
    send(res, gatewayResponses.noSuchRoute, options);
    return;
  }
  if (match.kind === 'method-not-allowed') {
    const answer = methodNotAllowedResponse(match.allowed);
    res.writeHead(answer.statusCode, { ...gatewayResponseHeaders(options.allowedOrigins.size > 0), ...answer.headers });
    return void res.end(answer.body);
  }

  let claims: JwtPayload | undefined;
  if (match.route.access !== 'public') {
    const token = bearerToken(req.headers.authorization);
    const verification = token ? await options.verifyToken(token) : undefined;
    if (!verification?.ok) {
      await journalRefusal(req, url, match.route, gatewayResponses.unauthorized, undefined, options);
      send(res, gatewayResponses.unauthorized, options);
      return;
    }
    if (!hasAcceptedScope(verification.claims, match.route)) {
      await journalRefusal(req, url, match.route, gatewayResponses.accessDenied, verification.claims, options);
      send(res, gatewayResponses.accessDenied, options);
      return;
    }
    claims = verification.claims;
  }

  const body = await readBody(req);
  if (body === undefined) {
    send(res, gatewayResponses.tooLarge, options);
    return;
  }

  const event = proxyEvent(req, url, match.route, match.pathParameters, body, claims);
  const host = options.functions.get(match.route.function);
  if (!host) throw new Error(`function ${match.route.function} is not running`);
  const result = await host.invoke<APIGatewayProxyResult>(event, lambdaContext(match.route.function, event.requestContext.requestId));
  res.writeHead(result.statusCode, result.headers as Record<string, string>);
  res.end(result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body);
}

/**
 * Deployed, the access log line of an authorizer refusal reaches the gateway refusal journal through
 * a subscription filter; here the gateway hands the same line to the same function, and waits for
 * it so the entry is there when the client gets its answer. A failure to journal does not change
 * the answer, as deployed (the line would go to the dead-letter queue): it is reported to the console.
 */
async function journalRefusal(req: IncomingMessage, url: URL, route: RouteDefinition, response: GatewayResponseDefinition, claims: JwtPayload | undefined, options: GatewayOptions): Promise<void> {
  const journal = options.functions.get('gatewayRefusalJournal');
  if (!journal) throw new Error('function gatewayRefusalJournal is not running');
  const requestId = randomUUID();
  const line: AccessLogRecord = {
    requestId,
    ip: req.socket.remoteAddress ?? '127.0.0.1',
    ...(req.headers['user-agent'] ? { userAgent: req.headers['user-agent'] } : {}),
    httpMethod: route.method,
    path: url.pathname,
    resourcePath: route.path,
    status: String(response.statusCode ?? ''),
    errorType: response.type,
    ...(typeof claims?.sub === 'string' && typeof claims.client_id === 'string' ? { sub: claims.sub, clientId: claims.client_id } : {}),
  };
  await journal.invoke(subscriptionEvent(line), lambdaContext('gatewayRefusalJournal', requestId)).catch((error: unknown) => {
    options.log?.(`gateway refusal not journaled: ${error instanceof Error ? error.name : 'a thrown non-Error'}`);
  });
}

/** A CloudWatch Logs subscription delivery of one access log line: the batch gzipped, then base64-encoded. */
function subscriptionEvent(line: AccessLogRecord): { awslogs: { data: string } } {
  const batch = {
    messageType: 'DATA_MESSAGE',
    owner: '000000000000',
    logGroup: '/local/dsc/access-log',
    logStream: 'local',
    subscriptionFilters: ['gateway-refusals'],
    logEvents: [{ id: line.requestId, timestamp: Date.now(), message: JSON.stringify(line) }],
  };
  return { awslogs: { data: gzipSync(JSON.stringify(batch)).toString('base64') } };
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

/** The body's bytes, base64-encoded as API Gateway hands binary media types over; undefined if too large. */
function readBody(req: IncomingMessage): Promise<string | null | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBodyBytes) chunks.push(chunk);
    });
    req.on('end', () => {
      resolve(size > maxBodyBytes ? undefined : size === 0 ? null : Buffer.concat(chunks).toString('base64'));
    });
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
    isBase64Encoded: body !== null,
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
  return Object.fromEntries(Object.entries(claims).map(([name, value]) => [name, claimText(value)]));
}

/** As String() and Array#join render it (arrays comma-joined, null inside an array empty), but an object claim as JSON. */
function claimText(value: Json): string {
  if (Array.isArray(value)) return value.map((item) => (item === null ? '' : claimText(item))).join(',');
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}

/** The plain-data part of a Lambda context; the worker adds the methods. */
function lambdaContext(functionName: string, requestId: string): Record<string, unknown> {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: `dsc-local-${functionName}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:ca-central-1:000000000000:function:dsc-local-${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: requestId,
    logGroupName: `/local/dsc/${functionName}`,
    logStreamName: 'local',
  };
}

function send(res: ServerResponse, response: GatewayResponseDefinition, options: GatewayOptions): void {
  res.writeHead(response.statusCode ?? 500, { ...gatewayResponseHeaders(options.allowedOrigins.size > 0), ...response.headers });
  res.end(gatewayResponseBody(response));
}

/** Method and route template only: concrete paths can hold patient ids. */
function routeLabel(req: IncomingMessage): string {
  const resource = resolveResource(requestUrl(req).pathname);
  return resource ? resource.resourcePath : '(no route)';
}

/**
 * The request target as a URL. It is appended to the origin rather than resolved against it: a
 * path such as `//host/x` would otherwise be read as another host (and an invalid one throws).
 */
function requestUrl(req: IncomingMessage): URL {
  const target = req.url ?? '/';
  return new URL(`http://gateway.local${target.startsWith('/') ? target : `/${target}`}`);
}
