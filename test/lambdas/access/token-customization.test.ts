import { describe, expect, it } from 'vitest';
import { customizeAccessToken } from '../../../lambdas/access/token-customization';
import { roles, type Role } from '../../../lambdas/access/roles';

const read = 'dsc-fhir/fhir.read';
const write = 'dsc-fhir/fhir.write';
const audit = 'dsc-fhir/audit.read';
const admin = 'dsc-fhir/staff.admin';
const apiScopes = [read, write, audit, admin];

const expectedScopes: Record<Role, readonly string[]> = {
  physician: [read, write],
  nurse: [read, write],
  'allied-health': [read],
  'social-worker': [read],
  clerk: [read, write],
  'privacy-officer': [read, write, audit],
  'user-admin': [read, admin], // read lets the policy refuse and journal a user administrator's attempt at patient data
  integration: [read, write],
};

const noAttributes = {};

describe('customizeAccessToken', () => {
  it.each(roles.map((role) => [role, expectedScopes[role]] as const))('gives a %s the API scopes %j, and suppresses the others', (role, scopes) => {
    const customization = customizeAccessToken({ groups: [role], userAttributes: noAttributes });
    expect(customization.scopesToAdd).toEqual(scopes);
    expect(customization.scopesToSuppress).toEqual(['aws.cognito.signin.user.admin', ...apiScopes.filter((scope) => !scopes.includes(scope))]);
  });

  it('always suppresses the Cognito sign-in scope, so a stolen token cannot change or delete the account', () => {
    for (const groups of [[], ['physician'], ['user-admin', 'privacy-officer'], [...roles]]) {
      const customization = customizeAccessToken({ groups, userAttributes: noAttributes });
      expect(customization.scopesToSuppress).toContain('aws.cognito.signin.user.admin');
      expect(customization.scopesToAdd).not.toContain('aws.cognito.signin.user.admin');
    }
  });

  it('grants the union of the scopes of several roles, once each', () => {
    expect(customizeAccessToken({ groups: ['social-worker', 'privacy-officer', 'social-worker'], userAttributes: noAttributes }).scopesToAdd).toEqual([read, write, audit]);
  });

  it('ignores groups that are not DSC roles, and grants nothing without a role', () => {
    const customization = customizeAccessToken({ groups: ['admins', 'Physician', 'dsc-fhir/fhir.write'], userAttributes: noAttributes });
    expect(customization.scopesToAdd).toEqual([]);
    expect(customization.scopesToSuppress).toEqual(['aws.cognito.signin.user.admin', ...apiScopes]);
  });

  it('adds the email and the linked Practitioner as claims', () => {
    const customization = customizeAccessToken({
      groups: ['nurse'],
      userAttributes: { sub: 'f00', email: 'ines.tremblay@ciusss.example', 'custom:practitioner': 'Practitioner/7a1c-9', given_name: 'Inès' },
    });
    expect(customization.claimsToAddOrOverride).toEqual({ email: 'ines.tremblay@ciusss.example', practitioner: 'Practitioner/7a1c-9' });
  });

  it('adds no claim for an account without email or Practitioner link', () => {
    expect(customizeAccessToken({ groups: ['clerk'], userAttributes: { sub: 'f00' } }).claimsToAddOrOverride).toEqual({});
  });

  it.each(['Patient/7a1c', 'Practitioner/', 'Practitioner/a b', 'https://elsewhere.example/Practitioner/1', 'Practitioner/1,Practitioner/2'])(
    'does not trust a Practitioner link that is not a Practitioner reference (%s)',
    (link) => {
      const customization = customizeAccessToken({ groups: ['physician'], userAttributes: { email: 'a@b.example', 'custom:practitioner': link } });
      expect(customization.claimsToAddOrOverride).toEqual({ email: 'a@b.example' });
    },
  );
});
