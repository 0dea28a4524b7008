import { customScopes, resourceServerIdentifier } from '../contracts/auth';
import type { ResourceType } from '../fhir/registry/registry';
import { mayBreakGlass } from './break-glass';
import { dataCategoryOf } from './categories';
import { dutyConflict } from './duties';
import type { Principal } from './principal';
import { restrictionCovers, type Restriction } from './restrictions';
import { rolePermits, type AccessKind } from './roles';

/**
 * The policy decision point: every interaction asks it, before touching data and again for each
 * resource it would return. Roles and separation of duties decide first; then the restrictions
 * (Consent) of every patient whose compartment the resource is in; break-glass can override those
 * restrictions, never the roles.
 */
export interface AccessRequest {
  readonly principal: Principal;
  readonly action: AccessKind;
  readonly resource: {
    readonly type: ResourceType;
    readonly id?: string;
    /** The patients (`Patient/<id>`) whose compartment the resource is in. */
    readonly compartments: readonly string[];
  };
  readonly context: {
    /** A valid break-glass reason, when the request gives one. */
    readonly breakGlassReason?: string;
    readonly purposeOfUse: string;
  };
}

export type Decision =
  | { readonly effect: 'permit' }
  | { readonly effect: 'deny'; readonly reason: string }
  /** A restriction applied and a clinician broke the glass: `reason` is theirs, `restriction` the Consent overridden. */
  | { readonly effect: 'permit-with-override'; readonly reason: string; readonly restriction: string };

/** The active restrictions of one patient (`Patient/<id>`). */
export type RestrictionLookup = (patient: string) => Promise<readonly Restriction[]>;

/** What a denial by restriction says: that one applies and break-glass exists, never what it covers. */
export const restrictionDenial = 'A restriction requested by the patient applies to this information. In an emergency, a clinician may override it by giving a reason in the X-Break-Glass-Reason header; the access will be journaled and reported.';

export async function decide(request: AccessRequest, restrictionsOf: RestrictionLookup, now: Date = new Date()): Promise<Decision> {
  const byRole = decideByRole({ principal: request.principal, action: request.action, type: request.resource.type });
  // Restrictions keep people from information: they govern reading, not recording new data.
  if (byRole.effect === 'deny' || request.action !== 'read') return byRole;
  for (const patient of request.resource.compartments) {
    const restriction = (await restrictionsOf(patient)).find((candidate) => restrictionCovers(candidate, request.principal, request.resource, now));
    if (!restriction) continue;
    const reason = request.context.breakGlassReason;
    if (reason !== undefined && mayBreakGlass(request.principal)) return { effect: 'permit-with-override', reason, restriction: restriction.consent };
    return { effect: 'deny', reason: restrictionDenial };
  }
  return byRole;
}

export interface RoleRequest {
  readonly principal: Principal;
  readonly action: AccessKind;
  readonly type: ResourceType;
}

/** Roles, separation of duties and a system client's scopes alone, synchronous, for filtering many resources at once. */
export function decideByRole({ principal, action, type }: RoleRequest): Decision {
  const conflict = dutyConflict(principal.roles);
  if (conflict) return { effect: 'deny', reason: conflict };
  if (principal.kind === 'system' && !principal.scopes.includes(`${resourceServerIdentifier}/${customScopes[action]}`)) {
    return { effect: 'deny', reason: `The client's scopes do not grant ${action} access` };
  }
  const category = dataCategoryOf(type);
  const permitted = principal.roles.some((role) => rolePermits(role, category, action));
  return permitted ? { effect: 'permit' } : { effect: 'deny', reason: `Your roles do not permit ${action} access to ${category} data (${type})` };
}
