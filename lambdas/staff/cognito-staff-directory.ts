import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDeleteUserAttributesCommand,
  AdminDisableUserCommand,
  AdminEnableUserCommand,
  AdminGetUserCommand,
  AdminListGroupsForUserCommand,
  AdminRemoveUserFromGroupCommand,
  AdminUpdateUserAttributesCommand,
  AdminUserGlobalSignOutCommand,
  ListUsersCommand,
  ListUsersInGroupCommand,
  type AttributeType,
  type CognitoIdentityProviderClient,
  type UserType,
} from '@aws-sdk/client-cognito-identity-provider';
import { isRole, type Role } from '../access/roles';
import { practitionerAttribute } from '../contracts/auth';
import { Forbidden, Invalid, NotFound, NotImplemented, ServiceUnavailable, VersionConflict } from '../fhir/errors';
import type { AccountListing, Invitation, StaffAccount, StaffDirectory } from './staff-directory';

/** The staff directory over the Cognito user pool; Cognito's errors become the API's typed errors. */
export class CognitoStaffDirectory implements StaffDirectory {
  constructor(
    private readonly client: CognitoIdentityProviderClient,
    private readonly userPoolId: string,
  ) {}

  async invite(invitation: Invitation): Promise<StaffAccount> {
    const created = await refusals(
      this.client.send(
        new AdminCreateUserCommand({
          UserPoolId: this.userPoolId,
          Username: invitation.email,
          // Cognito sends the invitation (the pool's bilingual template) with a temporary password.
          DesiredDeliveryMediums: ['EMAIL'],
          UserAttributes: [
            { Name: 'email', Value: invitation.email },
            // The administrator vouches for the address; account recovery is by email only.
            { Name: 'email_verified', Value: 'true' },
            { Name: 'given_name', Value: invitation.givenName },
            { Name: 'family_name', Value: invitation.familyName },
            ...(invitation.practitioner ? [{ Name: practitionerAttribute, Value: invitation.practitioner }] : []),
          ],
        }),
      ),
    );
    const account = accountOf(created.User ?? {}, created.User?.Attributes);
    await this.addRoles(account.username, invitation.roles);
    return { ...account, roles: invitation.roles };
  }

  async list(listing: AccountListing): Promise<{ accounts: StaffAccount[]; cursor?: string }> {
    if (listing.role) {
      const page = await refusals(this.client.send(new ListUsersInGroupCommand({ UserPoolId: this.userPoolId, GroupName: listing.role, Limit: listing.limit, NextToken: listing.cursor })));
      return { accounts: (page.Users ?? []).map((user) => accountOf(user, user.Attributes)), ...(page.NextToken ? { cursor: page.NextToken } : {}) };
    }
    const filter = listing.emailPrefix ? { Filter: `email ^= "${listing.emailPrefix}"` } : {};
    const page = await refusals(this.client.send(new ListUsersCommand({ UserPoolId: this.userPoolId, ...filter, Limit: listing.limit, PaginationToken: listing.cursor })));
    return { accounts: (page.Users ?? []).map((user) => accountOf(user, user.Attributes)), ...(page.PaginationToken ? { cursor: page.PaginationToken } : {}) };
  }

  async get(username: string): Promise<StaffAccount & { roles: Role[] }> {
    const [user, groups] = await Promise.all([
      refusals(this.client.send(new AdminGetUserCommand({ UserPoolId: this.userPoolId, Username: username }))),
      refusals(this.client.send(new AdminListGroupsForUserCommand({ UserPoolId: this.userPoolId, Username: username, Limit: 60 }))),
    ]);
    const roles = (groups.Groups ?? []).flatMap((group) => (group.GroupName !== undefined && isRole(group.GroupName) ? [group.GroupName] : []));
    return { ...accountOf(user, user.UserAttributes), roles };
  }

  async addRoles(username: string, roles: readonly Role[]): Promise<void> {
    for (const role of roles) await refusals(this.client.send(new AdminAddUserToGroupCommand({ UserPoolId: this.userPoolId, Username: username, GroupName: role })));
  }

  async removeRoles(username: string, roles: readonly Role[]): Promise<void> {
    for (const role of roles) await refusals(this.client.send(new AdminRemoveUserFromGroupCommand({ UserPoolId: this.userPoolId, Username: username, GroupName: role })));
  }

  async setPractitioner(username: string, practitioner: string | undefined): Promise<void> {
    const target = { UserPoolId: this.userPoolId, Username: username };
    if (practitioner === undefined) await refusals(this.client.send(new AdminDeleteUserAttributesCommand({ ...target, UserAttributeNames: [practitionerAttribute] })));
    else await refusals(this.client.send(new AdminUpdateUserAttributesCommand({ ...target, UserAttributes: [{ Name: practitionerAttribute, Value: practitioner }] })));
  }

  async setEnabled(username: string, enabled: boolean): Promise<void> {
    const target = { UserPoolId: this.userPoolId, Username: username };
    if (enabled) await refusals(this.client.send(new AdminEnableUserCommand(target)));
    else await refusals(this.client.send(new AdminDisableUserCommand(target)));
  }

  async signOutEverywhere(username: string): Promise<void> {
    await refusals(this.client.send(new AdminUserGlobalSignOutCommand({ UserPoolId: this.userPoolId, Username: username })));
  }
}

/** Cognito's refusals as the API's typed errors (the middleware maps those to HTTP); other failures pass through. */
async function refusals<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    throw typedError(error);
  }
}

function typedError(error: unknown): unknown {
  const name = error instanceof Error ? error.name : '';
  const message = error instanceof Error ? error.message.slice(0, 200) : '';
  switch (name) {
    case 'UserNotFoundException':
      return new NotFound('No staff account has this username or email');
    case 'UsernameExistsException':
    case 'AliasExistsException':
      return new VersionConflict('A staff account with this email already exists');
    case 'NotAuthorizedException':
      // Cognito refuses this change to this account (e.g. on a user the pool does not let admins change).
      return new Forbidden('The user directory does not allow this change to this account');
    case 'InvalidParameterException':
    case 'ResourceNotFoundException':
      return new Invalid(`Cognito refused the change: ${message}`);
    case 'Unsupported':
      // Only cognito-local answers this (e.g. AdminUserGlobalSignOut); Cognito itself supports every call made here.
      return new NotImplemented(`The user directory does not support this operation: ${message || name}`);
    case 'TooManyRequestsException':
    case 'LimitExceededException':
      return new ServiceUnavailable('The user directory is busy; retry shortly');
    default:
      return error;
  }
}

function accountOf(user: Pick<UserType, 'Username' | 'Enabled' | 'UserStatus' | 'UserCreateDate' | 'UserLastModifiedDate'>, attributes: readonly AttributeType[] | undefined): StaffAccount {
  const attribute = (name: string) => attributes?.find((candidate) => candidate.Name === name)?.Value;
  const givenName = attribute('given_name');
  const familyName = attribute('family_name');
  const practitioner = attribute(practitionerAttribute);
  return {
    username: user.Username ?? '',
    sub: attribute('sub') ?? user.Username ?? '',
    email: attribute('email') ?? '',
    ...(givenName === undefined ? {} : { givenName }),
    ...(familyName === undefined ? {} : { familyName }),
    ...(practitioner === undefined ? {} : { practitioner }),
    enabled: user.Enabled ?? true,
    status: user.UserStatus ?? 'UNKNOWN',
    ...(user.UserCreateDate ? { created: user.UserCreateDate.toISOString() } : {}),
    ...(user.UserLastModifiedDate ? { lastModified: user.UserLastModifiedDate.toISOString() } : {}),
  };
}
