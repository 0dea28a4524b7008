import type { Principal } from '../access/principal';
import { defaultPurposeOfUse } from '../contracts/access-headers';
import { gatewayResponses } from '../contracts/gateway-responses';
import { matchRoute, resolveResource } from '../contracts/routes';
import { isResourceType } from '../fhir/registry/registry';
import { staffDirectorySubject } from '../staff/staff-admin-service';
import type { JournalEntry } from '../store/record-store';
import { auditEventFor, type AccessFacts } from './audit-event';

/**
 * One API access log line, by the names the API stack's `accessLogFields` gives its fields (the
 * local gateway writes the same). API Gateway writes `-` for a value it does not have.
 */
export interface AccessLogRecord {
  readonly requestId: string;
  readonly ip: string;
  readonly userAgent?: string;
  readonly httpMethod: string;
  /** The request path as sent, deployed with the stage (or base path) in front: `/r4/Patient/123`. */
  readonly path: string;
  /** The API resource the path resolved to: `/{type}/{id}`. */
  readonly resourcePath?: string;
  readonly status: string;
  /** The gateway response type of a refusal the gateway itself made; empty when a function answered. */
  readonly errorType?: string;
  /** The token's subject and app client, when the authorizer verified it. */
  readonly sub?: string;
  readonly clientId?: string;
}

/**
 * The refusals of the authorizer (a token missing, invalid, or without the method's scope): no
 * function ran, so nothing else journals them. Selected by type, never by status: a function's
 * own 401 or 403 carries no error type and is journaled by the function. An unknown path
 * (MISSING_AUTHENTICATION_TOKEN, answered 404) names no route to refuse and is left to the access log.
 */
export const gatewayRefusalTypes: readonly string[] = [gatewayResponses.unauthorized.type, gatewayResponses.accessDenied.type];

/** Where a refusal that names neither a resource nor a type is journaled. */
export const apiSubject = 'urn:dsc:api';

/** The agent of a refusal whose token was not verified: only its address (and user agent) say who it was. */
export const unauthenticatedAgent = 'unauthenticated';

const fhirId = /^[A-Za-z0-9\-.]{1,64}$/;

/** The interaction a method most resembles, for a path the route table does not resolve. */
const interactionByMethod: Record<string, AccessFacts['interaction']> = { GET: 'read', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

/** An access log line's record, or undefined when the line is not one (a field missing or not text). */
export function accessLogRecordOf(message: string): AccessLogRecord | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const fields = parsed as Record<string, unknown>;
  const text = (name: keyof AccessLogRecord) => {
    const value = fields[name];
    return typeof value === 'string' && value !== '' && value !== '-' ? value : undefined;
  };
  const [requestId, ip, httpMethod, path, status] = [text('requestId'), text('ip'), text('httpMethod'), text('path'), text('status')];
  if (requestId === undefined || ip === undefined || httpMethod === undefined || path === undefined || status === undefined) return undefined;
  const optional = (name: 'userAgent' | 'resourcePath' | 'errorType' | 'sub' | 'clientId') => {
    const value = text(name);
    return value === undefined ? {} : { [name]: value };
  };
  return { requestId, ip, httpMethod, path, status, ...optional('userAgent'), ...optional('resourcePath'), ...optional('errorType'), ...optional('sub'), ...optional('clientId') };
}

export function isGatewayRefusal(record: AccessLogRecord): boolean {
  return record.errorType !== undefined && gatewayRefusalTypes.includes(record.errorType);
}

/**
 * The journal entry of a gateway refusal, or undefined for any other line: a denial (minor
 * failure) under the resource the path names, so a patient's access report shows the attempt.
 */
export function gatewayRefusalEntry(record: AccessLogRecord, recorded: Date): JournalEntry | undefined {
  if (!isGatewayRefusal(record)) return undefined;
  const apiPath = pathWithinApi(record);
  const match = matchRoute(record.httpMethod, apiPath);
  const interaction = match?.kind === 'route' && match.route.interaction !== 'capabilities' ? match.route.interaction : (interactionByMethod[record.httpMethod] ?? 'read');
  const subject = subjectOf(apiPath);
  const event = auditEventFor({
    principal: principalOf(record),
    interaction,
    patient: subject,
    outcome: 'denied',
    recorded,
    requestId: record.requestId,
    purposeOfUse: defaultPurposeOfUse,
    sourceIp: record.ip,
    ...(record.userAgent === undefined ? {} : { userAgent: record.userAgent }),
    ...(record.errorType === undefined ? {} : { gatewayError: record.errorType }),
  });
  return { event, patient: subject };
}

/**
 * The path below the stage: deployed, `$context.path` starts with the stage or base path. The
 * resource path says how many segments belong to the API (`/{type}/{id}` is the last two).
 */
function pathWithinApi(record: AccessLogRecord): string {
  if (record.resourcePath === undefined) return record.path;
  const depth = record.resourcePath.split('/').filter((segment) => segment !== '').length;
  const segments = record.path.split('/').filter((segment) => segment !== '');
  return `/${segments.slice(segments.length - depth).join('/')}`;
}

/** As the functions journal a denial: under `Type/id` (a patient's own reference for patient paths), else the type, else the API. */
function subjectOf(apiPath: string): string {
  const resolved = resolveResource(apiPath);
  if (!resolved) return apiSubject;
  if (resolved.resourcePath.startsWith('/admin/')) return staffDirectorySubject;
  const type = resolved.pathParameters.type ?? /^\/([A-Z][A-Za-z]+)(\/|$)/.exec(resolved.resourcePath)?.[1];
  if (type === undefined || !isResourceType(type)) return apiSubject;
  const id = resolved.pathParameters.id;
  return id !== undefined && fhirId.test(id) ? `${type}/${id}` : type;
}

/** The caller as far as the gateway knew it: the verified token's subject and client (roles are not logged), else nobody. */
function principalOf(record: AccessLogRecord): Principal {
  if (record.sub === undefined || record.clientId === undefined) {
    return { kind: 'staff', sub: '', username: unauthenticatedAgent, clientId: '', roles: [], scopes: [] };
  }
  // A client-credentials token's subject is its app client.
  return { kind: record.sub === record.clientId ? 'system' : 'staff', sub: record.sub, username: record.sub, clientId: record.clientId, roles: [], scopes: [] };
}
