import type { IssueType } from '../fhir/errors';
import { securityHeaders } from './security-headers';

/**
 * What the gateway itself answers when a request never reaches a function (bad token,
 * unknown path, throttling). The API stack installs these as API Gateway gateway responses
 * and the local gateway sends the same, so every error is a FHIR OperationOutcome.
 */
export interface GatewayResponseDefinition {
  /** API Gateway's ResponseType name. */
  readonly type:
    | 'UNAUTHORIZED'
    | 'ACCESS_DENIED'
    | 'MISSING_AUTHENTICATION_TOKEN'
    | 'BAD_REQUEST_PARAMETERS'
    | 'THROTTLED'
    | 'REQUEST_TOO_LARGE'
    | 'WAF_FILTERED'
    | 'DEFAULT_4XX'
    | 'DEFAULT_5XX';
  /** Status to answer with; the DEFAULT_* families keep the status API Gateway chose. */
  readonly statusCode?: number;
  /** FHIR issue-type code. */
  readonly code: IssueType;
  readonly diagnostics: string;
  /** Extra response headers, as literal values. */
  readonly headers?: Readonly<Record<string, string>>;
}

export const gatewayResponses = {
  // RFC 6750: a 401 names the scheme the client should use.
  unauthorized: { type: 'UNAUTHORIZED', statusCode: 401, code: 'login', diagnostics: 'A valid access token is required', headers: { 'WWW-Authenticate': 'Bearer' } },
  accessDenied: { type: 'ACCESS_DENIED', statusCode: 403, code: 'forbidden', diagnostics: 'The access token does not grant this operation' },
  noSuchRoute: { type: 'MISSING_AUTHENTICATION_TOKEN', statusCode: 404, code: 'not-supported', diagnostics: 'No such endpoint or method' },
  // The only required parameter is a body's Content-Type (API stack): the function's own answer to its absence.
  missingContentType: {
    type: 'BAD_REQUEST_PARAMETERS',
    statusCode: 415,
    code: 'not-supported',
    diagnostics: 'Send the body with its Content-Type: application/fhir+json (application/json-patch+json for a patch)',
  },
  throttled: { type: 'THROTTLED', statusCode: 429, code: 'throttled', diagnostics: 'Too many requests' },
  tooLarge: { type: 'REQUEST_TOO_LARGE', statusCode: 413, code: 'too-costly', diagnostics: 'Request body too large' },
  wafFiltered: { type: 'WAF_FILTERED', statusCode: 403, code: 'security', diagnostics: 'Request blocked by the web application firewall' },
  default4xx: { type: 'DEFAULT_4XX', code: 'invalid', diagnostics: 'The request was rejected by the gateway' },
  default5xx: { type: 'DEFAULT_5XX', code: 'exception', diagnostics: 'The gateway failed to process the request' },
} as const satisfies Record<string, GatewayResponseDefinition>;

/** The OperationOutcome body of a gateway response, as JSON text. */
export function gatewayResponseBody(response: GatewayResponseDefinition): string {
  return JSON.stringify({
    resourceType: 'OperationOutcome',
    issue: [{ severity: 'error', code: response.code, diagnostics: response.diagnostics }],
  });
}

/**
 * Headers on every gateway response, the security headers included. With CORS on, any origin may
 * read these error bodies: they carry no patient data, and a browser app must be able to see a 401
 * to renew its token.
 */
export function gatewayResponseHeaders(cors: boolean): Record<string, string> {
  return { 'Content-Type': 'application/fhir+json', ...securityHeaders, ...(cors ? { 'Access-Control-Allow-Origin': '*' } : {}) };
}

/**
 * A known path with a method it does not serve: 405 with `Allow`, from the gateway itself (an
 * `ANY` mock method on each API Gateway resource; the local gateway answers the same).
 */
export function methodNotAllowedResponse(allowed: readonly string[]) {
  return {
    statusCode: 405,
    headers: { Allow: allowed.join(', ') },
    body: JSON.stringify({
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'error', code: 'not-supported', diagnostics: `This method is not supported here; use ${allowed.join(', ')}` }],
    }),
  };
}
