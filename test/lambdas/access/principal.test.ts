import { describe, expect, it } from 'vitest';
import { listClaim, principalFromClaims } from '../../../lambdas/access/principal';
import { Unauthenticated } from '../../../lambdas/fhir/errors';

const allowed = new Set(['web-client']);

const accessClaims = { sub: 'abc', username: 'abc', token_use: 'access', client_id: 'web-client', scope: 'aws.cognito.signin.user.admin', 'cognito:groups': 'physician,nurse' };

describe('principalFromClaims', () => {
  it('takes identity, roles and scopes from verified access-token claims', () => {
    expect(principalFromClaims(accessClaims, allowed)).toEqual({
      sub: 'abc',
      username: 'abc',
      clientId: 'web-client',
      roles: ['physician', 'nurse'],
      scopes: ['aws.cognito.signin.user.admin'],
    });
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
