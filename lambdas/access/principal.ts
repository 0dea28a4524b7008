import { tokenClaims } from '../contracts/auth';
import { Unauthenticated } from '../fhir/errors';
import { isRole, type Role } from './roles';

/**
 * Who is calling, taken from the claims the gateway's authorizer verified. A `staff` principal is
 * a person signed in through Cognito; a `system` principal is an integration's client-credentials
 * token, limited by its scopes.
 */
export interface Principal {
  readonly kind: 'staff' | 'system';
  readonly sub: string;
  readonly username: string;
  /** The staff email (the Cognito username), so the journal stays readable after an account changes. */
  readonly email?: string;
  /** The linked Practitioner, `Practitioner/<id>`: patient restrictions may name it. */
  readonly practitioner?: string;
  readonly clientId: string;
  readonly roles: readonly Role[];
  readonly scopes: readonly string[];
}

/**
 * Builds the principal from verified claims only (the authorizer's, never the request's). API
 * Gateway has already checked the signature, issuer, expiry and scopes; here we also insist on
 * an access token from one of this deployment's app clients, which the Cognito authorizer does
 * not check. Roles come from `cognito:groups` alone.
 */
export function principalFromClaims(claims: Record<string, unknown> | undefined, allowedClientIds: ReadonlySet<string>): Principal {
  if (!claims) throw new Unauthenticated('No verified identity on the request');
  if (claims.token_use !== 'access') throw new Unauthenticated('An access token is required');
  const clientId = stringClaim(claims, 'client_id');
  if (!allowedClientIds.has(clientId)) throw new Unauthenticated('The token was issued to an unknown client');
  const sub = stringClaim(claims, 'sub');
  const groups = listClaim(claims['cognito:groups']);
  // A client-credentials token names no user: its subject is the app client itself, and it has no groups.
  if (claims.username === undefined && sub === clientId && groups.length === 0) {
    return { kind: 'system', sub, username: clientId, clientId, roles: ['integration'], scopes: listClaim(claims.scope) };
  }
  const email = optionalClaim(claims, tokenClaims.email);
  const practitioner = optionalClaim(claims, tokenClaims.practitioner);
  return {
    kind: 'staff',
    sub,
    username: typeof claims.username === 'string' ? claims.username : sub,
    ...(email === undefined ? {} : { email }),
    ...(practitioner !== undefined && /^Practitioner\/[A-Za-z0-9\-.]{1,64}$/.test(practitioner) ? { practitioner } : {}),
    clientId,
    roles: groups.filter(isRole),
    scopes: listClaim(claims.scope),
  };
}

function stringClaim(claims: Record<string, unknown>, name: string): string {
  const value = claims[name];
  if (typeof value !== 'string' || value === '') throw new Unauthenticated(`The token lacks the ${name} claim`);
  return value;
}

function optionalClaim(claims: Record<string, unknown>, name: string): string | undefined {
  const value = claims[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
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
