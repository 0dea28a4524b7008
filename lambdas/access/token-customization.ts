import { customScopes, practitionerAttribute, resourceServerIdentifier, staffSignInScope, tokenClaims, type AccessLevel } from '../contracts/auth';
import { isRole, roleMatrix, type Role } from './roles';

/** What Cognito knows of the staff member signing in: their groups and user attributes. */
export interface TokenSubject {
  readonly groups: readonly string[];
  readonly userAttributes: Readonly<Record<string, string>>;
}

/** The changes to a staff access token, in the shape of Cognito's V2 pre-token-generation response. */
export interface AccessTokenCustomization {
  readonly scopesToAdd: string[];
  readonly scopesToSuppress: string[];
  readonly claimsToAddOrOverride: Record<string, string>;
}

const accessLevels = Object.keys(customScopes) as AccessLevel[];

/** Duties that are not record access: the journal is the privacy officer's, staff accounts the user administrator's. */
const dutyLevels: Partial<Record<Role, AccessLevel>> = { 'privacy-officer': 'audit', 'user-admin': 'admin' };

/** A linked Practitioner as the admin API writes it; anything else is not trusted as an identity. */
const practitionerReference = /^Practitioner\/[A-Za-z0-9\-.]{1,64}$/;

function apiScope(level: AccessLevel): string {
  return `${resourceServerIdentifier}/${customScopes[level]}`;
}

/**
 * The API access levels one role holds: read for every staff role, write from its role matrix
 * entry, plus its duty. Read is not narrowed by the matrix on purpose: a user administrator asking
 * for a Patient must reach the policy, which refuses it and journals the attempt (LRSSS); a gateway
 * refusal would leave no trace in the journal.
 */
function accessLevelsOf(role: Role): Set<AccessLevel> {
  const writes = Object.values(roleMatrix[role]).some((kinds) => kinds.includes('write'));
  const duty = dutyLevels[role];
  return new Set<AccessLevel>(['read', ...(writes ? (['write'] as const) : []), ...(duty ? [duty] : [])]);
}

/**
 * The access token a staff member receives: this API's scopes exactly as their roles grant them,
 * whatever the app client asked for, and never the Cognito sign-in scope, with which a stolen token
 * could change the account's email, password or MFA device, or delete it. The email and the linked
 * Practitioner become claims, so the journal and LRSSS restrictions can name the person.
 * Used by the deployed pre-token-generation trigger and by the local gateway alike.
 */
export function customizeAccessToken(subject: TokenSubject): AccessTokenCustomization {
  const granted = new Set(subject.groups.filter(isRole).flatMap((role) => [...accessLevelsOf(role)]));
  const claims: Record<string, string> = {};
  const email = subject.userAttributes.email;
  if (email) claims[tokenClaims.email] = email;
  const practitioner = subject.userAttributes[practitionerAttribute];
  if (practitioner !== undefined && practitionerReference.test(practitioner)) claims[tokenClaims.practitioner] = practitioner;
  return {
    scopesToAdd: accessLevels.filter((level) => granted.has(level)).map(apiScope),
    scopesToSuppress: [staffSignInScope, ...accessLevels.filter((level) => !granted.has(level)).map(apiScope)],
    claimsToAddOrOverride: claims,
  };
}
