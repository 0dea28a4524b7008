import { breakGlassReasonOf, purposeOfUseOf } from '../access/break-glass';
import { dutyConflict } from '../access/duties';
import { principalFromClaims } from '../access/principal';
import { breakGlassHeader, purposeOfUseHeader } from '../contracts/access-headers';
import { acceptedScopes, allowedClientIdsEnvVar } from '../contracts/auth';
import { Forbidden } from '../fhir/errors';
import type { RequestContext } from '../record/request-context';
import { listEnv } from './environment';
import type { FhirRequest } from './http';

let allowedClientIds: Set<string> | undefined;

/** The domain's view of who asks and why, from the claims API Gateway's authorizer verified and the access headers. */
export function requestContextOf(request: FhirRequest): RequestContext {
  const { identity, authorizer } = request.event.requestContext;
  allowedClientIds ??= listEnv(allowedClientIdsEnvVar);
  const principal = principalFromClaims(authorizer?.claims as Record<string, unknown> | undefined, allowedClientIds);
  // Defence in depth: the authorizer checks the route's scopes, and so does the function, so a
  // method that lost its authorizationScopes cannot let a read-only token write.
  const { access } = request.route;
  if (access !== 'public' && !acceptedScopes(access).some((scope) => principal.scopes.includes(scope))) {
    throw new Forbidden(`The access token does not grant ${access} access`);
  }
  // Record routes refuse a duty conflict in the policy, which journals it; the journal and staff routes touch no record.
  const conflict = access === 'audit' || access === 'admin' ? dutyConflict(principal.roles) : undefined;
  if (conflict) throw new Forbidden(conflict);
  const purposeOfUse = purposeOfUseOf(request.header(purposeOfUseHeader));
  const breakGlassReason = breakGlassReasonOf(request.header(breakGlassHeader));
  return {
    principal,
    requestId: request.requestId,
    ...clientOf(identity),
    ...(purposeOfUse === undefined ? {} : { purposeOfUse }),
    ...(breakGlassReason === undefined ? {} : { breakGlassReason }),
  };
}

/**
 * Where the call comes from. Typed more loosely than @types/aws-lambda promises: an event built by
 * hand (a console test) may lack the identity or its fields, and null means unknown here.
 */
function clientOf(identity: { readonly sourceIp?: string | null; readonly userAgent?: string | null } | undefined): Pick<RequestContext, 'sourceIp' | 'userAgent'> {
  return { sourceIp: identity?.sourceIp ?? undefined, userAgent: identity?.userAgent ?? undefined };
}
