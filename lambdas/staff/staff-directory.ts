import type { Role } from '../access/roles';

/** A staff account as the admin API shows it: the Cognito user, its roles (groups) and its Practitioner link. */
export interface StaffAccount {
  /** The Cognito username (a UUID in an email-named pool); the API also accepts the email in its place. */
  readonly username: string;
  readonly sub: string;
  readonly email: string;
  readonly givenName?: string;
  readonly familyName?: string;
  /** `Practitioner/<id>`: the Practitioner resource the account acts as. */
  readonly practitioner?: string;
  readonly enabled: boolean;
  /** Cognito's user status, e.g. FORCE_CHANGE_PASSWORD until the invitation is accepted. */
  readonly status: string;
  /** Present on a single account; a listing leaves them out (one more Cognito call per account). */
  readonly roles?: readonly Role[];
  readonly created?: string;
  readonly lastModified?: string;
}

export interface Invitation {
  readonly email: string;
  readonly givenName: string;
  readonly familyName: string;
  readonly roles: readonly Role[];
  readonly practitioner?: string;
}

export interface AccountListing {
  /** Accounts whose email starts with this text. */
  readonly emailPrefix?: string;
  /** Accounts in this role (group); Cognito cannot filter on both at once. */
  readonly role?: Role;
  readonly limit: number;
  readonly cursor?: string;
}

/** The staff directory port: Cognito when deployed, cognito-local locally. It has no delete. */
export interface StaffDirectory {
  invite(invitation: Invitation): Promise<StaffAccount>;
  list(listing: AccountListing): Promise<{ readonly accounts: readonly StaffAccount[]; readonly cursor?: string }>;
  /** The account with its roles; NotFound when there is none. */
  get(username: string): Promise<StaffAccount & { readonly roles: readonly Role[] }>;
  addRoles(username: string, roles: readonly Role[]): Promise<void>;
  removeRoles(username: string, roles: readonly Role[]): Promise<void>;
  setPractitioner(username: string, practitioner: string | undefined): Promise<void>;
  setEnabled(username: string, enabled: boolean): Promise<void>;
  signOutEverywhere(username: string): Promise<void>;
}
