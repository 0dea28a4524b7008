import { describe, expect, it } from 'vitest';
import { acceptedScopes } from '../../../lambdas/contracts/auth';
import { functions } from '../../../lambdas/contracts/functions';
import { findRoute, matchRoute, methodsOf, resourcePaths, routes } from '../../../lambdas/contracts/routes';

describe('the route table', () => {
  it('names an API-triggered function for every route', () => {
    for (const route of routes) expect(functions[route.function].trigger).toBe('api');
  });

  it('leaves only GET /metadata public', () => {
    expect(routes.filter((route) => route.access === 'public').map((route) => `${route.method} ${route.path}`)).toEqual(['GET /metadata']);
  });

  it('is generic by type: a few resources serve all 145 types, and only the read-only journal names its type', () => {
    expect(resourcePaths.filter((path) => !path.startsWith('/admin/')).length).toBeLessThanOrEqual(12);
    expect(resourcePaths.filter((path) => /\/[A-Z]/.test(path))).toEqual(['/AuditEvent']);
  });

  it('sends record writes to the write function, record reads to the read function, the journal to the journal function and staff accounts to the admin function', () => {
    const functionFor = { read: 'recordRead', write: 'recordWrite', audit: 'journal', admin: 'staffAdmin' } as const;
    for (const route of routes.filter((candidate) => candidate.access !== 'public')) {
      expect(route.function, `${route.method} ${route.path}`).toBe(functionFor[route.access as keyof typeof functionFor]);
    }
    expect(findRoute('POST', '/{type}/_search')?.function).toBe('recordRead');
  });

  it('serves the journal read-only and staff accounts without a delete', () => {
    expect(methodsOf('/AuditEvent')).toEqual(['GET']);
    expect(routes.filter((route) => route.function === 'journal').map((route) => route.method)).toEqual(['GET', 'GET']);
    expect(routes.filter((route) => route.function === 'staffAdmin' && route.method === 'DELETE')).toEqual([]);
    expect(routes.filter((route) => route.path.startsWith('/admin')).map((route) => route.access)).toEqual(Array(5).fill('admin'));
  });
});

describe('matchRoute, as API Gateway resolves resources', () => {
  const routeOf = (method: string, path: string) => {
    const match = matchRoute(method, path);
    return match?.kind === 'route' ? `${match.route.method} ${match.route.path} ${JSON.stringify(match.pathParameters)}` : match?.kind;
  };

  it('prefers a literal segment to a path parameter at the same level', () => {
    expect(routeOf('GET', '/metadata')).toBe('GET /metadata {}');
    expect(routeOf('GET', '/Observation/_history')).toBe('GET /{type}/_history {"type":"Observation"}');
    expect(routeOf('POST', '/Observation/_search')).toBe('POST /{type}/_search {"type":"Observation"}');
    expect(routeOf('GET', '/Observation/abc/_history/3')).toBe('GET /{type}/{id}/_history/{vid} {"type":"Observation","id":"abc","vid":"3"}');
    expect(routeOf('GET', '/Patient/abc/$everything')).toBe('GET /{type}/{id}/{operation} {"type":"Patient","id":"abc","operation":"$everything"}');
    expect(routeOf('GET', '/Patient/abc/$access-report')).toBe('GET /{type}/{id}/$access-report {"type":"Patient","id":"abc"}');
    expect(routeOf('GET', '/AuditEvent')).toBe('GET /AuditEvent {}');
    expect(routeOf('GET', '/Observation')).toBe('GET /{type} {"type":"Observation"}');
  });

  it('keeps writes to AuditEvent from the record: 405 on /AuditEvent, nothing under it', () => {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) expect(matchRoute(method, '/AuditEvent')).toEqual({ kind: 'method-not-allowed', resourcePath: '/AuditEvent', allowed: ['GET'] });
    expect(matchRoute('GET', '/AuditEvent/abc')).toBeUndefined();
    expect(matchRoute('PUT', '/AuditEvent/abc')).toBeUndefined();
    expect(matchRoute('GET', '/AuditEvent/_history')).toBeUndefined();
  });

  it('routes the admin API under a literal /admin, which serves nothing itself, and answers DELETE on an account 405', () => {
    expect(routeOf('PATCH', '/admin/users/u%40x.org')).toBe('PATCH /admin/users/{username} {"username":"u@x.org"}');
    expect(routeOf('POST', '/admin/users/u1/sign-out')).toBe('POST /admin/users/{username}/sign-out {"username":"u1"}');
    expect(matchRoute('GET', '/admin')).toBeUndefined();
    expect(matchRoute('DELETE', '/admin/users/u1')).toEqual({ kind: 'method-not-allowed', resourcePath: '/admin/users/{username}', allowed: ['GET', 'PATCH'] });
  });

  it('sends POST [type]/$operation (the one level API Gateway names {id}) to the write function as a type-level operation', () => {
    expect(routeOf('POST', '/Binary/$upload-url')).toBe('POST /{type}/{id} {"type":"Binary","id":"$upload-url"}');
    expect(findRoute('POST', '/{type}/{id}')).toMatchObject({ function: 'recordWrite', interaction: 'type-operation', access: 'write' });
  });

  it('decodes path parameters and ignores one trailing slash', () => {
    expect(routeOf('get', '/Patient/a%2Eb')).toBe('GET /{type}/{id} {"type":"Patient","id":"a.b"}');
    expect(routeOf('POST', '/Patient/')).toBe('POST /{type} {"type":"Patient"}');
  });

  it('answers a known path with an unserved method as method-not-allowed, with the methods it serves', () => {
    expect(matchRoute('POST', '/Patient/1/_history')).toEqual({ kind: 'method-not-allowed', resourcePath: '/{type}/{id}/_history', allowed: ['GET'] });
    expect(matchRoute('GET', '/Patient/_search')).toEqual({ kind: 'method-not-allowed', resourcePath: '/{type}/_search', allowed: ['POST'] });
    expect(methodsOf('/metadata')).toEqual(['GET']);
  });

  it('does not backtrack from a literal into a parameter, and matches nothing for unknown shapes', () => {
    // `_history` is taken as the literal; /{type}/_history has no children, as in API Gateway.
    expect(matchRoute('GET', '/Patient/_history/1')).toBeUndefined();
    expect(matchRoute('GET', '/Patient/1/_history/2/extra')).toBeUndefined();
    expect(matchRoute('GET', '/Patient//')).toBeUndefined();
    expect(matchRoute('GET', '/Patient/%E0%A4%A')).toBeUndefined();
  });

  it('accepts only the matching custom scope of this API for each access level, never the account-changing sign-in scope', () => {
    expect(acceptedScopes('read')).toEqual(['dsc-fhir/fhir.read']);
    expect(acceptedScopes('write')).toEqual(['dsc-fhir/fhir.write']);
    expect(acceptedScopes('audit')).toEqual(['dsc-fhir/audit.read']);
    expect(acceptedScopes('admin')).toEqual(['dsc-fhir/staff.admin']);
  });
});
