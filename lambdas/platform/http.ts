import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEvent, APIGatewayProxyEventHeaders, APIGatewayProxyResult } from 'aws-lambda';
import { corsAllowedOriginsEnvVar, corsHeaders, parseOrigins } from '../contracts/cors';
import { maxRequestBodyBytes } from '../contracts/request-limits';
import { securityHeaders } from '../contracts/security-headers';
import { findRoute, type FhirInteraction, type RouteDefinition } from '../contracts/routes';
import { FhirError, Invalid, NotAcceptable, PayloadTooLarge, ServiceUnavailable, UnsupportedMediaType } from '../fhir/errors';
import { decodeUtf8, parseFhirJson, stringifyFhirJson } from '../fhir/json';
import { operationOutcome } from '../fhir/operation-outcome';
import { logger } from './logger';

/** An HTTP request as the FHIR layer sees it, with the route already resolved. */
export interface FhirRequest {
  readonly event: APIGatewayProxyEvent;
  readonly route: RouteDefinition;
  readonly params: Readonly<Record<string, string>>;
  /** Query parameters as decoded name/value pairs, repeated names repeated; `_format` and `_pretty` removed. */
  readonly query: readonly (readonly [string, string])[];
  readonly header: (name: string) => string | undefined;
  /** Absolute URL of the API root, for Location headers and references. */
  readonly baseUrl: string;
  readonly requestId: string;
}

/** Bytes answered as they are, with their own media type (a Binary's content), not as FHIR JSON. */
export class RawContent {
  constructor(
    readonly bytes: Buffer,
    readonly contentType: string,
  ) {}
}

export interface FhirResponse {
  readonly status: number;
  /** A FHIR resource, or RawContent. */
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export type InteractionHandler = (request: FhirRequest) => Promise<FhirResponse>;

const fhirJson = 'application/fhir+json; charset=utf-8';
// application/json+fhir is the DSTU2 name, still sent by older clients.
const jsonMediaTypes = new Set(['application/fhir+json', 'application/json', 'application/json+fhir']);
const acceptableMediaTypes = new Set([...jsonMediaTypes, '*/*', 'application/*']);
const formatAliases = new Set(['json', ...jsonMediaTypes]);

/**
 * Builds a Lambda handler serving the given interactions of the shared route table, with
 * the cross-cutting concerns in one middy chain: logging context, then error mapping.
 */
export function fhirHandler(
  interactions: Partial<Record<FhirInteraction, InteractionHandler>>,
  options: {
    /** Requests whose handler chooses the answer's media type itself (a Binary read), so Accept is not held to JSON. */
    readonly negotiatesContent?: (request: FhirRequest) => boolean;
  } = {},
) {
  const core = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    const route = findRoute(event.httpMethod, event.resource);
    const serve = route && interactions[route.interaction];
    // Only a wiring mistake between the stack and this function can get here: a server error.
    if (!route || !serve) throw new Error(`This function does not serve ${event.httpMethod} ${event.resource}`);
    const request = toFhirRequest(event, route);
    if (!options.negotiatesContent?.(request)) assertJsonAccepted(request, event);
    const response = await serve(request);
    logger.info('served', { route: `${route.method} ${route.path}`, status: response.status });
    return toResult(response, event);
  };

  // Typed here: after injectLambdaContext (typed for any event), middy would type the request's event as `any`.
  const errorMapping: middy.MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> = {
    onError: (request) => {
      request.response = errorResult(request.error, request.event);
    },
  };
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>(core)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(errorMapping);
}

/**
 * The request body's bytes, whether API Gateway passed them base64-encoded (binary media types) or
 * not; 413 above the limit, with `tooLarge` telling the client what to do instead.
 */
export function bodyBytes(request: FhirRequest, tooLarge = `The request body is over ${maxRequestBodyBytes / 1024 / 1024} MB`): Buffer {
  const { body, isBase64Encoded } = request.event;
  if (!body) throw new Invalid('The request has no body');
  const bytes = isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
  if (bytes.length > maxRequestBodyBytes) throw new PayloadTooLarge(tooLarge);
  return bytes;
}

/** The request body as text: strictly UTF-8. */
export function bodyText(request: FhirRequest): string {
  return decodeUtf8(bodyBytes(request));
}

/** True when the body is declared as FHIR JSON (or plain JSON), whatever its parameters. */
export function sendsJson(request: FhirRequest): boolean {
  const contentType = mediaTypeOf(request.header('content-type'));
  return contentType !== undefined && jsonMediaTypes.has(contentType);
}

/** True when the client asks for FHIR JSON by `_format` or by a JSON range in Accept; a wildcard range alone is not asking. */
export function acceptsJson(request: FhirRequest): boolean {
  if (request.event.multiValueQueryStringParameters?._format) return true;
  return acceptRanges(request.header('accept') ?? '').some((range) => jsonMediaTypes.has(range.type) && range.q > 0);
}

/** Parses a FHIR JSON request body losslessly, insisting on one of the given media types. */
export function jsonBody(request: FhirRequest, mediaTypes: ReadonlySet<string> = jsonMediaTypes, hint = 'application/fhir+json'): unknown {
  const contentType = mediaTypeOf(request.header('content-type'));
  if (!contentType || !mediaTypes.has(contentType)) throw new UnsupportedMediaType(`Send the body as ${hint}`);
  return parseFhirJson(bodyText(request));
}

export const jsonPatchMediaTypes: ReadonlySet<string> = new Set(['application/json-patch+json']);

/** The name/value pairs of an `application/x-www-form-urlencoded` body (POST [type]/_search). */
export function formParams(request: FhirRequest): [string, string][] {
  if (!request.event.body) return [];
  if (mediaTypeOf(request.header('content-type')) !== 'application/x-www-form-urlencoded') {
    throw new UnsupportedMediaType('Send search parameters as application/x-www-form-urlencoded');
  }
  return [...new URLSearchParams(bodyText(request))].filter(([name]) => !ignoredQueryNames.has(name));
}

function mediaTypeOf(header: string | undefined): string | undefined {
  return header?.split(';')[0]?.trim().toLowerCase() || undefined;
}

/** FHIR lets clients ask for a format with Accept or `_format`; this server speaks JSON only (406 otherwise). */
function assertJsonAccepted(request: FhirRequest, event: APIGatewayProxyEvent): void {
  for (const format of event.multiValueQueryStringParameters?._format ?? []) {
    // A `+` left unencoded in the query (`_format=application/fhir+json`) arrives as a space.
    if (!formatAliases.has(format.split(';')[0]?.trim().toLowerCase().replace(' ', '+') ?? '')) throw new NotAcceptable(`_format=${format.slice(0, 40)} is not supported: this server answers in application/fhir+json`);
  }
  const accept = request.header('accept');
  if (!accept || event.multiValueQueryStringParameters?._format) return;
  const ranges = acceptRanges(accept);
  // Accept is also sent by binary-minded clients; only a list with no JSON (or wildcard) range is refused.
  if (!ranges.some((range) => acceptableMediaTypes.has(range.type) && range.q > 0)) {
    throw new NotAcceptable('This server answers in application/fhir+json only');
  }
}

function acceptRanges(accept: string): { type: string; q: number }[] {
  return accept.split(',').map((range) => {
    const [type = '', ...parameters] = range.split(';').map((part) => part.trim().toLowerCase());
    const q = parameters.find((parameter) => parameter.startsWith('q='));
    return { type, q: q ? Number(q.slice(2)) : 1 };
  });
}

const ignoredQueryNames = new Set(['_format', '_pretty']);

function toFhirRequest(event: APIGatewayProxyEvent, route: RouteDefinition): FhirRequest {
  const headers = new Map(Object.entries(headersOf(event)).map(([name, value]) => [name.toLowerCase(), value ?? undefined]));
  const query = Object.entries(event.multiValueQueryStringParameters ?? {}).flatMap(([name, values]) =>
    ignoredQueryNames.has(name) ? [] : (values ?? []).map((value) => [name, value] as const),
  );
  return {
    event,
    route,
    params: Object.fromEntries(Object.entries(event.pathParameters ?? {}).map(([name, value]) => [name, value ?? ''])),
    query,
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
  // Widened: the types say requestContext.path is always there, but an event built by hand (a console test) may lack it.
  const fullPath = (event.requestContext.path as string | undefined) ?? event.path;
  const prefix = fullPath.endsWith(event.path) ? fullPath.slice(0, fullPath.length - event.path.length) : '';
  return `${proto}://${host}${prefix}`;
}

/** The request headers. API Gateway sends `headers: null` for a request with none (a console test), whatever the types say. */
function headersOf({ headers }: { readonly headers: APIGatewayProxyEventHeaders | null }): APIGatewayProxyEventHeaders {
  return headers ?? {};
}

/** Browser origins allowed by the stage; read once per execution environment. */
let allowedOrigins: Set<string> | undefined;

function toResult(response: FhirResponse, event: APIGatewayProxyEvent): APIGatewayProxyResult {
  allowedOrigins ??= parseOrigins(process.env[corsAllowedOriginsEnvVar]);
  const origin = Object.entries(headersOf(event)).find(([name]) => name.toLowerCase() === 'origin')?.[1];
  const raw = response.body instanceof RawContent ? response.body : undefined;
  return {
    statusCode: response.status,
    headers: {
      ...(response.body === undefined ? {} : { 'Content-Type': raw?.contentType ?? fhirJson }),
      ...securityHeaders,
      'X-Request-Id': event.requestContext.requestId,
      ...corsHeaders(origin, allowedOrigins),
      ...response.headers,
    },
    // Raw bytes travel base64-encoded; API Gateway decodes them (binary media types), as the local gateway does.
    ...(raw ? { body: raw.bytes.toString('base64'), isBase64Encoded: true } : { body: response.body === undefined ? '' : stringifyFhirJson(response.body) }),
  };
}

const throttlingErrors = new Set(['ThrottlingException', 'ProvisionedThroughputExceededException', 'RequestLimitExceeded', 'TooManyRequestsException', 'TimeoutError']);

function errorResult(error: Error | null, event: APIGatewayProxyEvent): APIGatewayProxyResult {
  const requestId = event.requestContext.requestId;
  const known = error instanceof FhirError ? error : asTransient(error);
  if (known) {
    logger.info('refused', { resource: event.resource, method: event.httpMethod, status: known.status, error: known.name });
    const headers = known.status === 503 ? { 'Retry-After': '1' } : known.headers;
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

/**
 * Throttling, a timeout, or a fault on an AWS service's side (an SDK error with `$fault: 'server'`,
 * from a 5xx): the SDK has already retried (maxAttempts in the client), so the client may retry later.
 */
function asTransient(error: Error | null): ServiceUnavailable | undefined {
  if (error && (throttlingErrors.has(error.name) || (error as { $fault?: unknown }).$fault === 'server')) {
    return new ServiceUnavailable('A backing service is busy or failing; retry shortly');
  }
  return undefined;
}

function framesOf(error: Error | null): string | undefined {
  return error?.stack?.split('\n').filter((line) => line.trimStart().startsWith('at ')).join('\n');
}
