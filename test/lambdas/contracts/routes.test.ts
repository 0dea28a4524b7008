import { describe, expect, it } from 'vitest';
import { acceptedScopes } from '../../../lambdas/contracts/auth';
import { functions } from '../../../lambdas/contracts/functions';
import { findRoute, matchRoute, routes } from '../../../lambdas/contracts/routes';

describe('the route table', () => {
  it('names an existing function for every route', () => {
    for (const route of routes) expect(Object.keys(functions)).toContain(route.function);
  });

  it('leaves only GET /metadata public', () => {
    expect(routes.filter((route) => route.access === 'public').map((route) => `${route.method} ${route.path}`)).toEqual(['GET /metadata']);
  });

  it('sends writes to the write function and reads to the read function', () => {
    expect(findRoute('POST', '/Patient')?.function).toBe('recordWrite');
    expect(findRoute('GET', '/Patient/{id}')?.function).toBe('recordRead');
  });

  it('matches concrete paths to templates and extracts decoded path parameters', () => {
    expect(matchRoute('GET', '/Patient/abc-123')).toEqual({ route: findRoute('GET', '/Patient/{id}'), pathParameters: { id: 'abc-123' } });
    expect(matchRoute('get', '/Patient/a%2Eb')?.pathParameters).toEqual({ id: 'a.b' });
    expect(matchRoute('POST', '/Patient/')?.route.path).toBe('/Patient');
  });

  it('matches nothing for unknown paths, wrong methods or extra segments', () => {
    expect(matchRoute('GET', '/Observation/1')).toBeUndefined();
    expect(matchRoute('DELETE', '/Patient/1')).toBeUndefined();
    expect(matchRoute('GET', '/Patient/1/extra')).toBeUndefined();
    expect(matchRoute('GET', '/Patient//')).toBeUndefined();
    expect(matchRoute('GET', '/Patient/%E0%A4%A')).toBeUndefined();
  });

  it('accepts staff sign-in tokens and the matching custom scope for each access level', () => {
    expect(acceptedScopes('read')).toEqual(['aws.cognito.signin.user.admin', 'dsc-fhir/fhir.read']);
    expect(acceptedScopes('write')).toEqual(['aws.cognito.signin.user.admin', 'dsc-fhir/fhir.write']);
  });
});
