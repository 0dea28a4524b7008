import { Unauthenticated } from '../fhir/errors';
import { isRole, type Role } from './roles';

/** Who is calling, taken from the claims the gateway's authorizer verified. */
export interface Principal {
  readonly sub: string;
  readonly username: string;
  readonly clientId: string;
  readonly roles: readonly Role[];
  readonly scopes: readonly string[];
}

/**
 * Builds the principal from verified claims only (the authorizer's, never the request's). API
 * Gateway has already checked the signature, issuer, expiry and scopes; here we also insist on
 * an access token from one of this deployment's app clients, which the Cognito authorizer does
 * not check.
 */
export function principalFromClaims(claims: Record<string, unknown> | undefined, allowedClientIds: ReadonlySet<string>): Principal {
  if (!claims) throw new Unauthenticated('No verified identity on the request');
  if (claims.token_use !== 'access') throw new Unauthenticated('An access token is required');
  const clientId = stringClaim(claims, 'client_id');
  if (!allowedClientIds.has(clientId)) throw new Unauthenticated('The token was issued to an unknown client');
  return {
    sub: stringClaim(claims, 'sub'),
    username: typeof claims.username === 'string' ? claims.username : stringClaim(claims, 'sub'),
    clientId,
    roles: listClaim(claims['cognito:groups']).filter(isRole),
    scopes: listClaim(claims.scope),
  };
}

function stringClaim(claims: Record<string, unknown>, name: string): string {
  const value = claims[name];
  if (typeof value !== 'string' || value === '') throw new Unauthenticated(`The token lacks the ${name} claim`);
  return value;
}

/**
 * REST API authorizers hand every claim over as a string, so a list arrives as
 * "a,b", "[a, b]" or "a b" (scopes); group and scope names contain neither spaces nor commas.
 */
export function listClaim(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
  if (typeof value !== 'string') return [];
  return value
    .replace(/^\[|\]$/g, '')
    .split(/[\s,]+/)
    .filter((item) => item.length > 0);
}
