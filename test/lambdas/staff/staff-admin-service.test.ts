import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDisableUserCommand,
  AdminGetUserCommand,
  AdminListGroupsForUserCommand,
  AdminRemoveUserFromGroupCommand,
  AdminUpdateUserAttributesCommand,
  AdminUserGlobalSignOutCommand,
  CognitoIdentityProviderClient,
  ListUsersCommand,
  UserNotFoundException,
  UsernameExistsException,
} from '@aws-sdk/client-cognito-identity-provider';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { AccessJournal } from '../../../lambdas/audit/access-journal';
import type { AuditEvent } from '../../../lambdas/audit/audit-event';
import { recorderWithoutRecord } from '../../../lambdas/journal/compose';
import { CognitoStaffDirectory } from '../../../lambdas/staff/cognito-staff-directory';
import { StaffAdminService, staffDirectorySubject } from '../../../lambdas/staff/staff-admin-service';
import { accountChangeOf, invitationOf, listingOf } from '../../../lambdas/staff/staff-requests';
import { requestFor } from '../../support/principals';

const poolId = 'ca-central-1_Staff';
const cognito = mockClient(CognitoIdentityProviderClient);
const journaled: { event: AuditEvent; subject: string }[] = [];
const journal: AccessJournal = {
  append: (event, subject) => {
    journaled.push({ event, subject });
    return Promise.resolve();
  },
};
const service = new StaffAdminService(new CognitoStaffDirectory(new CognitoIdentityProviderClient({ region: 'ca-central-1' }), poolId), recorderWithoutRecord(journal));
const admin = requestFor('user-admin');

const userAttributes = (sub: string, email: string, extra: { Name: string; Value: string }[] = []) => [{ Name: 'sub', Value: sub }, { Name: 'email', Value: email }, ...extra];
/** An account Cognito finds by its username (the sub) or its email, as an email-named pool does. */
function existingAccount(sub: string, email: string, groups: string[]) {
  for (const username of [sub, email]) {
    cognito.on(AdminGetUserCommand, { Username: username }).resolves({ Username: sub, UserAttributes: userAttributes(sub, email), Enabled: true, UserStatus: 'CONFIRMED' });
    cognito.on(AdminListGroupsForUserCommand, { Username: username }).resolves({ Groups: groups.map((GroupName) => ({ GroupName })) });
  }
}
const entry = (index = -1) => journaled.at(index);
const queryOf = (event: AuditEvent | undefined) => Buffer.from(event?.entity?.find((entity) => entity.query !== undefined)?.query ?? '', 'base64').toString('utf8');

beforeEach(() => {
  cognito.reset();
  journaled.length = 0;
});

describe('inviting a staff member', () => {
  it('creates the account by email with an emailed invitation, the Practitioner link, then one group per role, and journals it under the new account', async () => {
    cognito.on(AdminCreateUserCommand).resolves({ User: { Username: 'sub-new', Attributes: userAttributes('sub-new', 'new@dsc.example', [{ Name: 'custom:practitioner', Value: 'Practitioner/p1' }]), Enabled: true, UserStatus: 'FORCE_CHANGE_PASSWORD' } });
    cognito.on(AdminAddUserToGroupCommand).resolves({});
    const invitation = invitationOf({ email: 'New@DSC.example', givenName: 'Marie', familyName: 'Côté', roles: ['physician', 'nurse'], practitioner: 'Practitioner/p1' });
    const account = await service.invite(admin, invitation);

    expect(cognito.commandCalls(AdminCreateUserCommand)[0]?.args[0].input).toEqual({
      UserPoolId: poolId,
      Username: 'new@dsc.example',
      DesiredDeliveryMediums: ['EMAIL'],
      UserAttributes: [
        { Name: 'email', Value: 'new@dsc.example' },
        { Name: 'email_verified', Value: 'true' },
        { Name: 'given_name', Value: 'Marie' },
        { Name: 'family_name', Value: 'Côté' },
        { Name: 'custom:practitioner', Value: 'Practitioner/p1' },
      ],
    });
    expect(cognito.commandCalls(AdminAddUserToGroupCommand).map((call) => call.args[0].input)).toEqual([
      { UserPoolId: poolId, Username: 'sub-new', GroupName: 'physician' },
      { UserPoolId: poolId, Username: 'sub-new', GroupName: 'nurse' },
    ]);
    expect(account).toMatchObject({ username: 'sub-new', sub: 'sub-new', email: 'new@dsc.example', practitioner: 'Practitioner/p1', roles: ['physician', 'nurse'] });
    expect(journaled).toHaveLength(1);
    expect(entry()?.subject).toBe('urn:dsc:staff:sub-new');
    expect(entry()?.event).toMatchObject({ outcomeDesc: 'success', subtype: [{ code: 'create' }], agent: [{ who: { identifier: { value: admin.principal.sub } } }] });
    expect(entry()?.event.entity?.map((entity) => entity.what?.reference)).toContain('Practitioner/p1');
    expect(queryOf(entry()?.event)).toBe('email=new%40dsc.example&roles=physician%2Cnurse&practitioner=Practitioner%2Fp1');
  });

  it('refuses roles that break separation of duties before creating anything, and journals the refusal', async () => {
    await expect(service.invite(admin, invitationOf({ email: 'x@dsc.example', givenName: 'X', familyName: 'Y', roles: ['user-admin', 'physician'] }))).rejects.toMatchObject({ status: 422 });
    await expect(service.invite(admin, invitationOf({ email: 'x@dsc.example', givenName: 'X', familyName: 'Y', roles: ['privacy-officer', 'nurse'] }))).rejects.toMatchObject({ status: 422 });
    expect(cognito.calls()).toHaveLength(0);
    expect(journaled.map(({ subject, event }) => [subject, event.outcomeDesc])).toEqual([[staffDirectorySubject, 'denied'], [staffDirectorySubject, 'denied']]);
  });

  it('answers 409 for an email that already has an account, journaled as failed', async () => {
    cognito.on(AdminCreateUserCommand).rejects(new UsernameExistsException({ message: 'exists', $metadata: {} }));
    await expect(service.invite(admin, invitationOf({ email: 'dup@dsc.example', givenName: 'D', familyName: 'U', roles: ['clerk'] }))).rejects.toMatchObject({ status: 409 });
    expect(entry()).toMatchObject({ subject: staffDirectorySubject, event: { outcomeDesc: 'failed' } });
  });

  it('rejects bodies with unknown fields, a bad email, no role or an unknown role', () => {
    const valid = { email: 'a@dsc.example', givenName: 'A', familyName: 'B', roles: ['clerk'] };
    expect(() => invitationOf({ ...valid, admin: true })).toThrow(/admin/);
    expect(() => invitationOf({ ...valid, email: 'not-an-email' })).toThrow(/email/);
    expect(() => invitationOf({ ...valid, roles: [] })).toThrow(/roles/);
    expect(() => invitationOf({ ...valid, roles: ['superuser'] })).toThrow(/roles/);
    expect(() => invitationOf({ ...valid, practitioner: 'Patient/1' })).toThrow(/Practitioner/);
  });
});

describe('who may administer accounts', () => {
  it.each([['physician'], ['privacy-officer'], ['clerk']] as const)('refuses a %s with 403, calls no Cognito API and journals the refusal', async (role) => {
    await expect(service.list(requestFor(role), { limit: 20 }, '')).rejects.toMatchObject({ status: 403 });
    await expect(service.change(requestFor(role), 'someone', { enabled: false })).rejects.toMatchObject({ status: 403 });
    expect(cognito.calls()).toHaveLength(0);
    expect(journaled.map(({ event }) => event.outcomeDesc)).toEqual(['denied', 'denied']);
  });

  it('refuses a user-admin who also holds a clinical role (separation of duties)', async () => {
    await expect(service.get(requestFor('user-admin', 'physician'), 'someone')).rejects.toMatchObject({ status: 403 });
    expect(cognito.calls()).toHaveLength(0);
  });

  it('refuses an administrator changing their own account', async () => {
    existingAccount(admin.principal.sub, 'me@dsc.example', ['user-admin']);
    await expect(service.change(admin, admin.principal.sub, { roles: ['user-admin', 'clerk'] })).rejects.toMatchObject({ status: 403 });
    expect(cognito.commandCalls(AdminAddUserToGroupCommand)).toHaveLength(0);
  });
});

describe('changing an account', () => {
  it('adds and removes groups to reach the roles asked for, relinks the Practitioner, disables, and journals one entry with the change', async () => {
    existingAccount('sub-1', 'one@dsc.example', ['clerk', 'nurse']);
    cognito.on(AdminAddUserToGroupCommand).resolves({});
    cognito.on(AdminRemoveUserFromGroupCommand).resolves({});
    cognito.on(AdminUpdateUserAttributesCommand).resolves({});
    cognito.on(AdminDisableUserCommand).resolves({});
    await service.change(admin, 'sub-1', accountChangeOf({ roles: ['nurse', 'physician'], practitioner: 'Practitioner/p9', enabled: false }));

    expect(cognito.commandCalls(AdminAddUserToGroupCommand).map((call) => call.args[0].input.GroupName)).toEqual(['physician']);
    expect(cognito.commandCalls(AdminRemoveUserFromGroupCommand).map((call) => call.args[0].input.GroupName)).toEqual(['clerk']);
    expect(cognito.commandCalls(AdminUpdateUserAttributesCommand)[0]?.args[0].input).toEqual({ UserPoolId: poolId, Username: 'sub-1', UserAttributes: [{ Name: 'custom:practitioner', Value: 'Practitioner/p9' }] });
    expect(cognito.commandCalls(AdminDisableUserCommand)[0]?.args[0].input).toEqual({ UserPoolId: poolId, Username: 'sub-1' });
    expect(journaled).toHaveLength(1);
    expect(entry()).toMatchObject({ subject: 'urn:dsc:staff:sub-1', event: { outcomeDesc: 'success', subtype: [{ code: 'patch' }] } });
    expect(queryOf(entry()?.event)).toBe('roles=nurse%2Cphysician&practitioner=Practitioner%2Fp9&enabled=false&added=physician&removed=clerk');
  });

  it('refuses a role set that breaks separation of duties, changing nothing (422, journaled as denied)', async () => {
    existingAccount('sub-2', 'two@dsc.example', ['privacy-officer']);
    await expect(service.change(admin, 'sub-2', { roles: ['privacy-officer', 'physician'] })).rejects.toMatchObject({ status: 422 });
    expect(cognito.commandCalls(AdminAddUserToGroupCommand)).toHaveLength(0);
    expect(entry()).toMatchObject({ subject: 'urn:dsc:staff:sub-2', event: { outcomeDesc: 'denied' } });
  });

  it('answers 404 for an unknown account, journaled under the directory', async () => {
    cognito.on(AdminGetUserCommand).rejects(new UserNotFoundException({ message: 'User does not exist.', $metadata: {} }));
    cognito.on(AdminListGroupsForUserCommand).resolves({ Groups: [] });
    await expect(service.change(admin, 'ghost@dsc.example', { enabled: true })).rejects.toMatchObject({ status: 404 });
    expect(entry()).toMatchObject({ subject: staffDirectorySubject, event: { outcomeDesc: 'not-found' } });
    expect(queryOf(entry()?.event)).toContain('username=ghost%40dsc.example');
  });

  it('takes an empty patch for a mistake', () => {
    expect(() => accountChangeOf({})).toThrow(/at least one/);
    expect(() => accountChangeOf({ enabled: 'no' })).toThrow(/enabled/);
  });
});

describe('signing out everywhere', () => {
  // cognito-local has no AdminUserGlobalSignOut: this is where it is tested.
  it('revokes the sessions of the account by its username and journals it', async () => {
    existingAccount('sub-3', 'three@dsc.example', ['nurse']);
    cognito.on(AdminUserGlobalSignOutCommand).resolves({});
    await service.signOut(admin, 'three@dsc.example');
    expect(cognito.commandCalls(AdminGetUserCommand)[0]?.args[0].input.Username).toBe('three@dsc.example');
    expect(cognito.commandCalls(AdminUserGlobalSignOutCommand)[0]?.args[0].input).toEqual({ UserPoolId: poolId, Username: 'sub-3' });
    expect(entry()).toMatchObject({ subject: 'urn:dsc:staff:sub-3', event: { outcomeDesc: 'success', subtype: [{ code: 'instance-operation' }] } });
  });

  it("answers 501, not a server error, where the directory (cognito-local) lacks the operation", async () => {
    existingAccount('sub-3', 'three@dsc.example', ['nurse']);
    cognito.on(AdminUserGlobalSignOutCommand).rejects(Object.assign(new Error('Cognito Local unsupported feature: AdminUserGlobalSignOut'), { name: 'Unsupported' }));
    await expect(service.signOut(admin, 'three@dsc.example')).rejects.toMatchObject({ status: 501 });
  });
});

describe('listing accounts', () => {
  it('filters by email prefix with ListUsers, pages with its token, and journals the search under the directory', async () => {
    cognito.on(ListUsersCommand).resolves({ Users: [{ Username: 'sub-4', Attributes: userAttributes('sub-4', 'medecin@dsc.example'), Enabled: true, UserStatus: 'CONFIRMED' }], PaginationToken: 'next-page' });
    const page = await service.list(admin, listingOf([['email', 'Medecin'], ['_count', '10']]), 'email=Medecin&_count=10');
    expect(cognito.commandCalls(ListUsersCommand)[0]?.args[0].input).toEqual({ UserPoolId: poolId, Filter: 'email ^= "medecin"', Limit: 10, PaginationToken: undefined });
    expect(page).toEqual({ accounts: [{ username: 'sub-4', sub: 'sub-4', email: 'medecin@dsc.example', enabled: true, status: 'CONFIRMED' }], cursor: 'next-page' });
    expect(entry()).toMatchObject({ subject: staffDirectorySubject, event: { outcomeDesc: 'success', subtype: [{ code: 'search-type' }] } });
  });

  it('refuses a prefix that could end Cognito\'s quoted filter early', () => {
    expect(() => listingOf([['email', 'a" or email ^= "']])).toThrow(/quotes/);
    expect(() => listingOf([['_count', '61']])).toThrow(/_count/);
  });
});
