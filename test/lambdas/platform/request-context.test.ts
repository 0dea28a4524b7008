import { beforeAll, describe, expect, it } from 'vitest';
import type { AccessLevel } from '../../../lambdas/contracts/auth';
import { findRoute, type RouteDefinition } from '../../../lambdas/contracts/routes';
import { Forbidden, Invalid } from '../../../lambdas/fhir/errors';
import type { FhirRequest } from '../../../lambdas/platform/http';
import { requestContextOf } from '../../../lambdas/platform/request-context';
import { proxyEvent, staffClaims, testClientId } from '../../support/api-events';

/** The request context: verified claims, the route's scopes checked again, and the access headers. */

beforeAll(() => {
  process.env.ALLOWED_CLIENT_IDS = testClientId;
});

const writeRoute = findRoute('POST', '/{type}')!;
const readRoute = findRoute('GET', '/{type}/{id}')!;
/** Routes of the journal and staff levels, as their owners declare them: only the access level matters here. */
const routeAt = (access: AccessLevel): RouteDefinition => ({ ...readRoute, access });

function requestFor(route: RouteDefinition, claims: Record<string, string>, headers: Record<string, string> = {}): FhirRequest {
  const event = proxyEvent({ method: route.method, resource: route.path, path: '/Patient/p1', claims, headers });
  const lower = new Map(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
  return { event, route, params: {}, query: [], header: (name) => lower.get(name.toLowerCase()), baseUrl: 'https://api.example', requestId: 'req-1' };
}

const withScope = (scope: string, groups = 'physician') => ({ ...staffClaims(groups), scope });

describe('requestContextOf: the route scopes, checked in the function too (defence in depth)', () => {
  it('refuses a token with only the read scope on a write route, even if the method lost its authorizer scopes', () => {
    expect(() => requestContextOf(requestFor(writeRoute, withScope('dsc-fhir/fhir.read')))).toThrow(Forbidden);
    expect(requestContextOf(requestFor(writeRoute, withScope('dsc-fhir/fhir.write'))).principal.roles).toEqual(['physician']);
  });

  it('checks the journal and staff administration levels against their own scopes', () => {
    expect(() => requestContextOf(requestFor(routeAt('audit'), withScope('dsc-fhir/fhir.read', 'privacy-officer')))).toThrow(Forbidden);
    expect(requestContextOf(requestFor(routeAt('audit'), withScope('dsc-fhir/audit.read', 'privacy-officer'))).principal.roles).toEqual(['privacy-officer']);
    expect(() => requestContextOf(requestFor(routeAt('admin'), withScope('dsc-fhir/audit.read', 'user-admin')))).toThrow(Forbidden);
    expect(requestContextOf(requestFor(routeAt('admin'), withScope('dsc-fhir/staff.admin', 'user-admin'))).principal.roles).toEqual(['user-admin']);
  });

  it('refuses a duty conflict on the journal and staff routes (the record routes journal it in the policy)', () => {
    expect(() => requestContextOf(requestFor(routeAt('admin'), withScope('dsc-fhir/staff.admin', 'user-admin,physician')))).toThrow(/Separation of duties/);
    expect(() => requestContextOf(requestFor(routeAt('audit'), withScope('dsc-fhir/audit.read', 'privacy-officer,nurse')))).toThrow(/Separation of duties/);
  });

  it('takes no role from a header', () => {
    const ctx = requestContextOf(requestFor(readRoute, withScope('dsc-fhir/fhir.read', 'clerk'), { 'cognito:groups': 'physician', 'X-Roles': 'physician' }));
    expect(ctx.principal.roles).toEqual(['clerk']);
  });
});

describe('requestContextOf: purpose of use and break-glass headers', () => {
  it('decodes the break-glass reason and keeps the declared purpose', () => {
    const ctx = requestContextOf(
      requestFor(readRoute, withScope('dsc-fhir/fhir.read'), { 'X-Break-Glass-Reason': encodeURIComponent('Urgence : patient inconscient, arrêt cardiaque'), 'x-purpose-of-use': 'ETREAT' }),
    );
    expect(ctx).toMatchObject({ breakGlassReason: 'Urgence : patient inconscient, arrêt cardiaque', purposeOfUse: 'ETREAT' });
  });

  it('leaves both out when the headers are absent (TREAT by default, in the journal)', () => {
    const ctx = requestContextOf(requestFor(readRoute, withScope('dsc-fhir/fhir.read')));
    expect(ctx).not.toHaveProperty('breakGlassReason');
    expect(ctx).not.toHaveProperty('purposeOfUse');
  });

  it('refuses a break-glass header without a reason with Invalid (400)', () => {
    expect(() => requestContextOf(requestFor(readRoute, withScope('dsc-fhir/fhir.read'), { 'X-Break-Glass-Reason': '' }))).toThrow(Invalid);
  });
});
