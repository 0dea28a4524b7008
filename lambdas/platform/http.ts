import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { corsAllowedOriginsEnvVar, corsHeaders, parseOrigins } from '../contracts/cors';
import { findRoute, type FhirInteraction, type RouteDefinition } from '../contracts/routes';
import { FhirError, Invalid, ServiceUnavailable, UnsupportedMediaType } from '../fhir/errors';
import { operationOutcome } from '../fhir/operation-outcome';
import { logger } from './logger';

/** An HTTP request as the FHIR layer sees it, with the route already resolved. */
export interface FhirRequest {
  readonly event: APIGatewayProxyEvent;
  readonly route: RouteDefinition;
  readonly params: Readonly<Record<string, string>>;
  readonly header: (name: string) => string | undefined;
  /** Absolute URL of the API root, for Location headers and references. */
  readonly baseUrl: string;
  readonly requestId: string;
}

export interface FhirResponse {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export type InteractionHandler = (request: FhirRequest) => Promise<FhirResponse>;

const fhirJson = 'application/fhir+json; charset=utf-8';
// application/json+fhir is the DSTU2 name, still sent by older clients.
const jsonMediaTypes = new Set(['application/fhir+json', 'application/json', 'application/json+fhir']);

/** Headers on every response; PHI must never sit in a shared or browser cache. */
const standardHeaders = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'Strict-Transport-Security': 'max-age=63072000; includeSubDomains',
};

/**
 * Builds a Lambda handler serving the given interactions of the shared route table, with
 * the cross-cutting concerns in one middy chain: logging context, then error mapping.
 */
export function fhirHandler(interactions: Partial<Record<FhirInteraction, InteractionHandler>>) {
  const core = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    const route = findRoute(event.httpMethod, event.resource);
    const serve = route && interactions[route.interaction];
    // Only a wiring mistake between the stack and this function can get here: a server error.
    if (!route || !serve) throw new Error(`This function does not serve ${event.httpMethod} ${event.resource}`);
    const response = await serve(toFhirRequest(event, route));
    logger.info('served', { route: `${route.method} ${route.path}`, status: response.status });
    return toResult(response, event);
  };

  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>(core)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use({ onError: (request) => { request.response = errorResult(request.error, request.event); } });
}

/** Parses a JSON request body, insisting on a FHIR JSON media type. */
export function jsonBody(request: FhirRequest): unknown {
  const contentType = request.header('content-type')?.split(';')[0].trim().toLowerCase();
  if (!contentType || !jsonMediaTypes.has(contentType)) {
    throw new UnsupportedMediaType('Send the resource as application/fhir+json');
  }
  const { body, isBase64Encoded } = request.event;
  if (!body) throw new Invalid('The request has no body');
  const text = isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
  try {
    return JSON.parse(text);
  } catch {
    throw new Invalid('The request body is not valid JSON');
  }
}

function toFhirRequest(event: APIGatewayProxyEvent, route: RouteDefinition): FhirRequest {
  const headers = new Map(Object.entries(event.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value ?? undefined]));
  return {
    event,
    route,
    params: Object.fromEntries(Object.entries(event.pathParameters ?? {}).map(([name, value]) => [name, value ?? ''])),
    header: (name) => headers.get(name.toLowerCase()),
    baseUrl: baseUrlOf(event, headers),
    requestId: event.requestContext.requestId,
  };
}

/**
 * The API root as the client addressed it. requestContext.path is the full path including
 * any stage or base-path prefix; event.path is the path below the API root.
 */
function baseUrlOf(event: APIGatewayProxyEvent, headers: Map<string, string | undefined>): string {
  const proto = headers.get('x-forwarded-proto') ?? 'https';
  const host = headers.get('host') ?? event.requestContext.domainName ?? 'localhost';
  const fullPath = event.requestContext.path ?? event.path;
  const prefix = fullPath.endsWith(event.path) ? fullPath.slice(0, fullPath.length - event.path.length) : '';
  return `${proto}://${host}${prefix}`;
}

/** Browser origins allowed by the stage; read once per execution environment. */
let allowedOrigins: Set<string> | undefined;

function toResult(response: FhirResponse, event: APIGatewayProxyEvent): APIGatewayProxyResult {
  allowedOrigins ??= parseOrigins(process.env[corsAllowedOriginsEnvVar]);
  const origin = Object.entries(event.headers ?? {}).find(([name]) => name.toLowerCase() === 'origin')?.[1];
  return {
    statusCode: response.status,
    headers: {
      ...(response.body === undefined ? {} : { 'Content-Type': fhirJson }),
      ...standardHeaders,
      'X-Request-Id': event.requestContext.requestId,
      ...corsHeaders(origin, allowedOrigins),
      ...response.headers,
    },
    body: response.body === undefined ? '' : JSON.stringify(response.body),
  };
}

const throttlingErrors = new Set(['ThrottlingException', 'ProvisionedThroughputExceededException', 'RequestLimitExceeded', 'TimeoutError']);

function errorResult(error: Error | null, event: APIGatewayProxyEvent): APIGatewayProxyResult {
  const requestId = event.requestContext.requestId;
  const known = error instanceof FhirError ? error : asTransient(error);
  if (known) {
    logger.info('refused', { resource: event.resource, method: event.httpMethod, status: known.status, error: known.name });
    const headers = known.status === 503 ? { 'Retry-After': '1' } : undefined;
    return toResult({ status: known.status, body: operationOutcome(known.issues), headers }, event);
  }
  // The message is left out: a driver's message can quote key values, which can identify a patient.
  logger.error('unhandled error', { resource: event.resource, method: event.httpMethod, error: error?.name, stack: framesOf(error) });
  return toResult(
    {
      status: 500,
      body: operationOutcome([{ severity: 'error', code: 'exception', diagnostics: `Internal error; quote request id ${requestId}` }]),
    },
    event,
  );
}

function asTransient(error: Error | null): ServiceUnavailable | undefined {
  if (error && throttlingErrors.has(error.name)) return new ServiceUnavailable('The record store is busy; retry shortly');
  return undefined;
}

function framesOf(error: Error | null): string | undefined {
  return error?.stack?.split('\n').filter((line) => line.trimStart().startsWith('at ')).join('\n');
}
