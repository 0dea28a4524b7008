import type { JwtPayload } from 'aws-jwt-verify/jwt-model';
import type { Json } from 'aws-jwt-verify/safe-json-parse';
import { listClaim } from '../lambdas/access/principal';
import { staffSignInScope } from '../lambdas/contracts/auth';
import type { TokenVerifier } from './token-verifier';

/** What the pre-token-generation trigger is given: the user's groups and attributes. */
export interface StaffTokenInput {
  readonly groups: readonly string[];
  readonly userAttributes: Readonly<Record<string, string>>;
}

/** What it answers for the access token, in the V2 trigger's own terms. */
export interface StaffTokenCustomization {
  readonly scopesToAdd: readonly string[];
  readonly scopesToSuppress: readonly string[];
  readonly claimsToAddOrOverride: Readonly<Record<string, Json>>;
}

export type CustomizeStaffToken = (input: StaffTokenInput) => StaffTokenCustomization;

/** The verified token's user, as AdminGetUser names it; undefined once the account is gone. */
export type UserAttributesOf = (user: { readonly sub: string; readonly username: string }) => Promise<Readonly<Record<string, string>> | undefined>;

/** Claims a V2 trigger cannot add or override in an access token; Cognito (and cognito-local) ignore them. */
const reservedClaims = new Set([
  'acr', 'amr', 'aud', 'auth_time', 'azp', 'client_id', 'cognito:groups', 'cognito:username', 'event_id', 'exp', 'iat',
  'identities', 'iss', 'jti', 'nbf', 'nonce', 'origin_jti', 'scope', 'sub', 'token_use', 'username', 'version',
]);

/**
 * The deployed pool runs a V2 pre-token-generation trigger that gives staff access tokens this
 * API's scopes and the email and practitioner claims. cognito-local runs no trigger for access
 * tokens and stamps every sign-in token with its fixed sign-in scope, so the local authorizer
 * runs the same customization on such a token once it is verified: the token then carries what
 * the deployed pool would have issued. Tokens without that mark (client credentials, or a token
 * a test signed as already issued) pass as they are, as they would in AWS.
 */
export function withStaffTokenTrigger(verify: TokenVerifier, customize: CustomizeStaffToken, userAttributesOf: UserAttributesOf): TokenVerifier {
  return async (token) => {
    const verification = await verify(token);
    const user = verification.ok ? userAwaitingTrigger(verification.claims) : undefined;
    if (!verification.ok || !user) return verification;
    const { claims } = verification;
    const userAttributes = await userAttributesOf(user);
    if (!userAttributes) return { ok: false, reason: 'the account that signed in no longer exists' };
    return { ok: true, claims: customizedClaims(claims, customize({ groups: listClaim(claims['cognito:groups']), userAttributes })) };
  };
}

/** The user of a sign-in token straight from cognito-local: a user's token, still holding the sign-in scope the trigger never leaves. */
function userAwaitingTrigger(claims: JwtPayload): { sub: string; username: string } | undefined {
  const { sub, username } = claims;
  if (typeof sub !== 'string' || typeof username !== 'string' || !listClaim(claims.scope).includes(staffSignInScope)) return undefined;
  return { sub, username };
}

/** The claims after the trigger's answer: scopes added then suppressed (suppression wins), non-reserved claims set. */
export function customizedClaims(claims: JwtPayload, customization: StaffTokenCustomization): JwtPayload {
  const scopes = new Set([...listClaim(claims.scope), ...customization.scopesToAdd]);
  for (const scope of customization.scopesToSuppress) scopes.delete(scope);
  const added = Object.entries(customization.claimsToAddOrOverride).filter(([name]) => !reservedClaims.has(name));
  return { ...claims, ...Object.fromEntries(added), scope: [...scopes].join(' ') };
}
