import type { JwtPayload } from 'aws-jwt-verify/jwt-model';
import { describe, expect, it, vi } from 'vitest';
import { customizeAccessToken } from '../../lambdas/access/token-customization';
import { customizedClaims, withStaffTokenTrigger } from '../../local/staff-token-trigger';
import type { TokenVerifier } from '../../local/token-verifier';

/** A staff access token as cognito-local issues it: the fixed sign-in scope, groups, no email. */
const signInClaims: JwtPayload = {
  sub: 'user-sub',
  username: 'user-sub',
  client_id: 'web',
  token_use: 'access',
  scope: 'aws.cognito.signin.user.admin',
  'cognito:groups': ['physician'],
};
const attributes = { sub: 'user-sub', email: 'medecin@dsc.local', 'custom:practitioner': 'Practitioner/demo-medecin' };
const verified = (claims: JwtPayload): TokenVerifier => () => Promise.resolve({ ok: true, claims });

describe('the local stand-in for the pre-token-generation trigger', () => {
  it("gives a verified sign-in token what the deployed trigger would: this API's scopes for its groups, the email and the Practitioner", async () => {
    const lookup = vi.fn(() => Promise.resolve(attributes));
    const result = await withStaffTokenTrigger(verified(signInClaims), customizeAccessToken, lookup)('token');
    expect(lookup).toHaveBeenCalledWith({ sub: 'user-sub', username: 'user-sub' });
    expect(result).toEqual({
      ok: true,
      claims: { ...signInClaims, scope: 'dsc-fhir/fhir.read dsc-fhir/fhir.write', email: 'medecin@dsc.local', practitioner: 'Practitioner/demo-medecin' },
    });
  });

  it('leaves a refused token refused, without looking the user up', async () => {
    const lookup = vi.fn(() => Promise.resolve(attributes));
    const result = await withStaffTokenTrigger(() => Promise.resolve({ ok: false, reason: 'expired' }), customizeAccessToken, lookup)('token');
    expect(result).toEqual({ ok: false, reason: 'expired' });
    expect(lookup).not.toHaveBeenCalled();
  });

  it('passes a client-credentials token as it is: it names no user and carries its own scopes', async () => {
    const system = { sub: 'client-id', client_id: 'client-id', token_use: 'access', scope: 'dsc-fhir/fhir.read' };
    const lookup = vi.fn(() => Promise.resolve(attributes));
    expect(await withStaffTokenTrigger(verified(system), customizeAccessToken, lookup)('token')).toEqual({ ok: true, claims: system });
    expect(lookup).not.toHaveBeenCalled();
  });

  it('refuses a sign-in token whose account no longer exists', async () => {
    const result = await withStaffTokenTrigger(verified(signInClaims), customizeAccessToken, () => Promise.resolve(undefined))('token');
    expect(result.ok).toBe(false);
  });

  it('applies an answer as Cognito does: suppression beats addition, and reserved claims cannot be overridden', () => {
    const claims = customizedClaims(signInClaims, {
      scopesToAdd: ['dsc-fhir/fhir.read', 'dsc-fhir/staff.admin'],
      scopesToSuppress: ['aws.cognito.signin.user.admin', 'dsc-fhir/staff.admin'],
      claimsToAddOrOverride: { sub: 'someone-else', 'cognito:groups': 'user-admin', client_id: 'other', email: 'a@b.c' },
    });
    expect(claims).toEqual({ ...signInClaims, scope: 'dsc-fhir/fhir.read', email: 'a@b.c' });
  });
});
