/** OAuth facts shared by the auth stack, the API stack and the local gateway. */

/** Resource server whose custom scopes system integrations (client credentials) request. */
export const resourceServerIdentifier = 'dsc-fhir';

export const customScopes = {
  read: 'fhir.read',
  write: 'fhir.write',
  /** The access journal (GET /AuditEvent, $access-report): privacy officers. */
  audit: 'audit.read',
  /** Staff account administration: user administrators. */
  admin: 'staff.admin',
} as const;
export type AccessLevel = keyof typeof customScopes;

/**
 * Scope Cognito puts in access tokens obtained by a staff sign-in through the Cognito API. It lets
 * the bearer change the account itself (email, password, MFA device), so the API never accepts it.
 */
export const staffSignInScope = 'aws.cognito.signin.user.admin';

/** The scopes any one of which lets an access token through a method of the given access level: only this API's own. */
export function acceptedScopes(level: AccessLevel): string[] {
  return [`${resourceServerIdentifier}/${customScopes[level]}`];
}

/** Environment variable listing the app client ids whose tokens the API accepts. */
export const allowedClientIdsEnvVar = 'ALLOWED_CLIENT_IDS';

/**
 * Claims the pre-token-generation trigger adds to staff access tokens (Cognito access tokens carry
 * neither the email nor our Practitioner link by themselves). The local gateway applies the same
 * trigger code, because cognito-local does not run V2 triggers on access tokens.
 */
export const tokenClaims = {
  email: 'email',
  /** The staff account's linked Practitioner, as a reference: "Practitioner/<id>". */
  practitioner: 'practitioner',
} as const;

/** The Cognito user attribute holding the linked Practitioner reference; only the admin API writes it. */
export const practitionerAttribute = 'custom:practitioner';
