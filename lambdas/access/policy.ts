import type { ResourceType } from '../fhir/registry/registry';
import { dataCategoryOf } from './categories';
import type { Principal } from './principal';
import { roleMatrix, type AccessKind } from './roles';

/**
 * The policy decision point: every interaction asks it, before touching data and again for
 * each resource it would return. It is asynchronous so that patient restrictions (Consent) and
 * break-glass can join it without changing its callers.
 */
export interface AccessRequest {
  readonly principal: Principal;
  readonly access: AccessKind;
  readonly resourceType: ResourceType;
  /** The patients whose compartment the resource is in, when known. */
  readonly compartments?: readonly string[];
}

export type Decision = { readonly effect: 'permit' } | { readonly effect: 'deny'; readonly reason: string };

export function decide(request: AccessRequest): Promise<Decision> {
  return Promise.resolve(decideByRole(request));
}

/** The role matrix alone, synchronous, for filtering many resources at once. */
export function decideByRole({ principal, access, resourceType }: AccessRequest): Decision {
  const category = dataCategoryOf(resourceType);
  const permitted = principal.roles.some((role) => roleMatrix[role][category]?.includes(access) ?? false);
  return permitted ? { effect: 'permit' } : { effect: 'deny', reason: `Your roles do not permit ${access} access to ${category} data (${resourceType})` };
}
