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

  it('is generic by type: a few resources serve all 145 types, none names a type', () => {
    expect(resourcePaths.length).toBeLessThanOrEqual(10);
    expect(resourcePaths.filter((path) => /\/[A-Z]/.test(path))).toEqual([]);
  });

  it('sends writes to the write function and reads to the read function', () => {
    for (const route of routes.filter((candidate) => candidate.function !== 'metadata')) {
      expect(route.function, `${route.method} ${route.path}`).toBe(route.access === 'write' ? 'recordWrite' : 'recordRead');
    }
    expect(findRoute('POST', '/{type}/_search')?.function).toBe('recordRead');
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
  });

  it('decodes path parameters and ignores one trailing slash', () => {
    expect(routeOf('get', '/Patient/a%2Eb')).toBe('GET /{type}/{id} {"type":"Patient","id":"a.b"}');
    expect(routeOf('POST', '/Patient/')).toBe('POST /{type} {"type":"Patient"}');
  });

  it('answers a known path with an unserved method as method-not-allowed, with the methods it serves', () => {
    expect(matchRoute('POST', '/Patient/1')).toEqual({ kind: 'method-not-allowed', resourcePath: '/{type}/{id}', allowed: ['GET', 'PUT', 'PATCH', 'DELETE'] });
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

  it('accepts staff sign-in tokens and the matching custom scope for each access level', () => {
    expect(acceptedScopes('read')).toEqual(['aws.cognito.signin.user.admin', 'dsc-fhir/fhir.read']);
    expect(acceptedScopes('write')).toEqual(['aws.cognito.signin.user.admin', 'dsc-fhir/fhir.write']);
  });
});
