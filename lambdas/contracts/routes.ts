import type { AccessLevel } from './auth';
import type { FunctionName } from './functions';

/**
 * The HTTP routes, declared once and generic by resource type: the API stack builds the
 * RestApi from them, the local gateway routes by them, handlers dispatch on them and the
 * CapabilityStatement follows from them and the registry. A handful of resources serve all
 * 145 R4 types, so the API stack stays far below CloudFormation's and API Gateway's limits.
 */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export type FhirInteraction =
  | 'capabilities'
  | 'search-type'
  | 'create'
  | 'conditional-update'
  | 'conditional-patch'
  | 'conditional-delete'
  | 'history-type'
  | 'read'
  | 'vread'
  | 'update'
  | 'patch'
  | 'delete'
  | 'history-instance'
  | 'instance-operation'
  /** `POST [type]/$operation`: type-level operations, such as `Binary/$upload-url`. */
  | 'type-operation'
  /** `POST /` with a Bundle: a transaction or a batch, per `Bundle.type`. */
  | 'transaction';

export interface RouteDefinition {
  readonly method: HttpMethod;
  /** API Gateway resource path; `{name}` segments are path parameters. */
  readonly path: string;
  readonly function: FunctionName;
  readonly interaction: FhirInteraction;
  /** `public` routes carry no authorizer; the others need an access token with a matching scope. */
  readonly access: AccessLevel | 'public';
}

const read = (method: HttpMethod, path: string, interaction: FhirInteraction): RouteDefinition => ({ method, path, interaction, function: 'recordRead', access: 'read' });
const write = (method: HttpMethod, path: string, interaction: FhirInteraction): RouteDefinition => ({ method, path, interaction, function: 'recordWrite', access: 'write' });
const journal = (path: string, interaction: FhirInteraction): RouteDefinition => ({ method: 'GET', path, interaction, function: 'journal', access: 'audit' });
/** Staff accounts are not FHIR resources; their routes borrow the FHIR interaction each one resembles, which the journal records. */
const admin = (method: HttpMethod, path: string, interaction: FhirInteraction): RouteDefinition => ({ method, path, interaction, function: 'staffAdmin', access: 'admin' });

export const routes: readonly RouteDefinition[] = [
  { method: 'GET', path: '/metadata', function: 'metadata', interaction: 'capabilities', access: 'public' },
  write('POST', '/', 'transaction'),
  read('GET', '/{type}', 'search-type'),
  write('POST', '/{type}', 'create'),
  write('PUT', '/{type}', 'conditional-update'),
  write('PATCH', '/{type}', 'conditional-patch'),
  write('DELETE', '/{type}', 'conditional-delete'),
  read('POST', '/{type}/_search', 'search-type'),
  read('GET', '/{type}/_history', 'history-type'),
  read('GET', '/{type}/{id}', 'read'),
  write('PUT', '/{type}/{id}', 'update'),
  write('PATCH', '/{type}/{id}', 'patch'),
  write('DELETE', '/{type}/{id}', 'delete'),
  // API Gateway names a segment once per level, so `$operation` arrives as `{id}`; the handler tells them apart.
  write('POST', '/{type}/{id}', 'type-operation'),
  read('GET', '/{type}/{id}/_history', 'history-instance'),
  read('GET', '/{type}/{id}/_history/{vid}', 'vread'),
  // `$everything` and the other operations, and compartment searches such as /Patient/{id}/Observation.
  read('GET', '/{type}/{id}/{operation}', 'instance-operation'),
  // The access journal, read-only: a literal resource beside /{type}, so a write to /AuditEvent is a 405
  // from the gateway and /AuditEvent/… matches nothing, neither reaching the record functions.
  journal('/AuditEvent', 'search-type'),
  journal('/{type}/{id}/$access-report', 'instance-operation'),
  // Staff accounts (Cognito), for user administrators. No DELETE: accounts are disabled, never deleted.
  admin('GET', '/admin/users', 'search-type'),
  admin('POST', '/admin/users', 'create'),
  admin('GET', '/admin/users/{username}', 'read'),
  admin('PATCH', '/admin/users/{username}', 'patch'),
  admin('POST', '/admin/users/{username}/sign-out', 'instance-operation'),
];

/** Key a route by what API Gateway hands the integration: the method and the resource path template. */
export function routeKey(method: string, resourcePath: string): string {
  return `${method.toUpperCase()} ${resourcePath}`;
}

export function findRoute(method: string, resourcePath: string): RouteDefinition | undefined {
  const key = routeKey(method, resourcePath);
  return routes.find((route) => routeKey(route.method, route.path) === key);
}

/** The distinct resource paths, in declaration order. */
export const resourcePaths: readonly string[] = [...new Set(routes.map((route) => route.path))];

/** The methods served on one resource path (what `Allow` and a CORS preflight list). */
export function methodsOf(resourcePath: string): HttpMethod[] {
  return routes.filter((route) => route.path === resourcePath).map((route) => route.method);
}

export type RouteMatch =
  | { readonly kind: 'route'; readonly route: RouteDefinition; readonly pathParameters: Record<string, string> }
  | { readonly kind: 'method-not-allowed'; readonly resourcePath: string; readonly allowed: readonly HttpMethod[] };

/**
 * Resolves a concrete path as API Gateway does: the resource first, segment by segment, a
 * literal child before the `{param}` child and without backtracking; then the method on that
 * resource. A known resource without the method is a 405; no resource is undefined (404).
 */
export function matchRoute(method: string, path: string): RouteMatch | undefined {
  const resolved = resolveResource(path);
  if (!resolved) return undefined;
  const route = findRoute(method, resolved.resourcePath);
  if (route) return { kind: 'route', route, pathParameters: resolved.pathParameters };
  return { kind: 'method-not-allowed', resourcePath: resolved.resourcePath, allowed: methodsOf(resolved.resourcePath) };
}

interface ResourceNode {
  readonly literals: Map<string, ResourceNode>;
  param?: { readonly name: string; readonly node: ResourceNode };
  resourcePath?: string;
}

const tree = buildTree(resourcePaths);

function buildTree(paths: readonly string[]): ResourceNode {
  const root: ResourceNode = { literals: new Map() };
  for (const resourcePath of paths) {
    let node = root;
    for (const part of splitPath(resourcePath)) {
      const param = /^\{(\w+)\}$/.exec(part)?.[1];
      if (param) {
        if (node.param && node.param.name !== param) throw new Error(`Conflicting path parameters under ${resourcePath}`);
        node.param ??= { name: param, node: { literals: new Map() } };
        node = node.param.node;
      } else {
        const next = node.literals.get(part) ?? { literals: new Map() };
        node.literals.set(part, next);
        node = next;
      }
    }
    node.resourcePath = resourcePath;
  }
  return root;
}

export function resolveResource(path: string): { resourcePath: string; pathParameters: Record<string, string> } | undefined {
  let node = tree;
  const pathParameters: Record<string, string> = {};
  for (const segment of splitPath(path)) {
    const literal = node.literals.get(segment);
    if (literal) {
      node = literal;
      continue;
    }
    const value = safeDecode(segment);
    if (!node.param || value === undefined || segment === '') return undefined;
    pathParameters[node.param.name] = value;
    node = node.param.node;
  }
  return node.resourcePath === undefined ? undefined : { resourcePath: node.resourcePath, pathParameters };
}

/** A malformed percent-escape matches nothing, rather than failing the request. */
function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function splitPath(path: string): string[] {
  if (path === '/' || path === '') return [];
  return path.split('/').filter((part, i, all) => !(part === '' && (i === 0 || i === all.length - 1)));
}
