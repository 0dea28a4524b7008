import type { AccessLevel } from './auth';
import type { FunctionName } from './functions';

/**
 * The HTTP routes, declared once: the API stack builds the RestApi from them, the local
 * gateway routes by them, handlers dispatch on them and the CapabilityStatement lists them.
 */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type FhirInteraction = 'capabilities' | 'read' | 'create';

export interface RouteDefinition {
  readonly method: HttpMethod;
  /** API Gateway resource path; `{name}` segments are path parameters. */
  readonly path: string;
  readonly function: FunctionName;
  readonly interaction: FhirInteraction;
  readonly resourceType?: string;
  /** `public` routes carry no authorizer; the others need an access token with a matching scope. */
  readonly access: AccessLevel | 'public';
}

export const routes: readonly RouteDefinition[] = [
  { method: 'GET', path: '/metadata', function: 'metadata', interaction: 'capabilities', access: 'public' },
  { method: 'POST', path: '/Patient', function: 'recordWrite', interaction: 'create', resourceType: 'Patient', access: 'write' },
  { method: 'GET', path: '/Patient/{id}', function: 'recordRead', interaction: 'read', resourceType: 'Patient', access: 'read' },
];

/** Key a route by what API Gateway hands the integration: the method and the resource path template. */
export function routeKey(method: string, resourcePath: string): string {
  return `${method.toUpperCase()} ${resourcePath}`;
}

export function findRoute(method: string, resourcePath: string): RouteDefinition | undefined {
  const key = routeKey(method, resourcePath);
  return routes.find((route) => routeKey(route.method, route.path) === key);
}

export interface RouteMatch {
  readonly route: RouteDefinition;
  readonly pathParameters: Record<string, string>;
}

/** Match a concrete request path against the route templates, as API Gateway does. */
export function matchRoute(method: string, path: string): RouteMatch | undefined {
  for (const route of routes) {
    if (route.method !== method.toUpperCase()) continue;
    const pathParameters = matchTemplate(route.path, path);
    if (pathParameters) return { route, pathParameters };
  }
  return undefined;
}

/** Whether any route serves this path, whatever its method (what a CORS preflight asks about). */
export function isRoutedPath(path: string): boolean {
  return routes.some((route) => matchTemplate(route.path, path) !== undefined);
}

/** The path parameters if the path fits the template, else undefined. */
function matchTemplate(template: string, path: string): Record<string, string> | undefined {
  const parts = splitPath(template);
  const segments = splitPath(path);
  if (parts.length !== segments.length) return undefined;
  const pathParameters: Record<string, string> = {};
  const matches = parts.every((part, i) => {
    const param = /^\{(\w+)\}$/.exec(part);
    if (!param) return part === segments[i];
    const value = safeDecode(segments[i]);
    if (value === undefined) return false;
    pathParameters[param[1]] = value;
    return segments[i].length > 0;
  });
  return matches ? pathParameters : undefined;
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
  return path.split('/').filter((part, i, all) => !(part === '' && (i === 0 || i === all.length - 1)));
}
