import { describe, expect, it } from 'vitest';
import { listClaim, principalFromClaims } from '../../../lambdas/access/principal';
import { Unauthenticated } from '../../../lambdas/fhir/errors';

const allowed = new Set(['web-client']);

const accessClaims = { sub: 'abc', username: 'abc', token_use: 'access', client_id: 'web-client', scope: 'aws.cognito.signin.user.admin', 'cognito:groups': 'physician,nurse' };

describe('principalFromClaims', () => {
  it('takes identity, roles and scopes from verified access-token claims', () => {
    expect(principalFromClaims(accessClaims, allowed)).toEqual({
      kind: 'staff',
      sub: 'abc',
      username: 'abc',
      clientId: 'web-client',
      roles: ['physician', 'nurse'],
      scopes: ['aws.cognito.signin.user.admin'],
    });
  });

  it('takes the email and the linked Practitioner from the claims the pre-token trigger adds', () => {
    const principal = principalFromClaims({ ...accessClaims, email: 'marie.tremblay@ciusss.example', practitioner: 'Practitioner/p-42' }, allowed);
    expect(principal).toMatchObject({ email: 'marie.tremblay@ciusss.example', practitioner: 'Practitioner/p-42' });
  });

  it('leaves out a practitioner claim that is not a Practitioner reference', () => {
    expect(principalFromClaims({ ...accessClaims, practitioner: 'Patient/p-42' }, allowed)).not.toHaveProperty('practitioner');
  });

  it('makes a client-credentials token (no username, sub = client_id, no groups) a system principal with the integration role', () => {
    const claims = { sub: 'web-client', token_use: 'access', client_id: 'web-client', scope: 'dsc-fhir/fhir.read' };
    expect(principalFromClaims(claims, allowed)).toEqual({ kind: 'system', sub: 'web-client', username: 'web-client', clientId: 'web-client', roles: ['integration'], scopes: ['dsc-fhir/fhir.read'] });
  });

  it('never makes a staff token a system principal, even without groups', () => {
    expect(principalFromClaims({ ...accessClaims, 'cognito:groups': undefined }, allowed)).toMatchObject({ kind: 'staff', roles: [] });
  });

  it('ignores groups that are not DSC roles', () => {
    const principal = principalFromClaims({ ...accessClaims, 'cognito:groups': '[physician, admins-of-the-world]' }, allowed);
    expect(principal.roles).toEqual(['physician']);
  });

  it.each([
    ['no authorizer claims', undefined],
    ['an ID token', { ...accessClaims, token_use: 'id' }],
    ['a token of another app client', { ...accessClaims, client_id: 'someone-else' }],
    ['a token without sub', { ...accessClaims, sub: '' }],
  ])('refuses %s with Unauthenticated', (_, claims) => {
    expect(() => principalFromClaims(claims, allowed)).toThrow(Unauthenticated);
  });
});

describe('listClaim', () => {
  it.each([
    [['a', 'b'], ['a', 'b']],
    ['a,b', ['a', 'b']],
    ['[a, b]', ['a', 'b']],
    ['[a b]', ['a', 'b']],
    ['openid email', ['openid', 'email']],
    ['', []],
    [undefined, []],
  ])('reads %j as %j', (value, expected) => {
    expect(listClaim(value)).toEqual(expected);
  });
});
