import { principalFromClaims } from '../access/principal';
import { allowedClientIdsEnvVar } from '../contracts/auth';
import type { RequestContext } from '../record/request-context';
import { listEnv } from './environment';
import type { FhirRequest } from './http';

let allowedClientIds: Set<string> | undefined;

/** The domain's view of who asks, from the claims API Gateway's authorizer verified. */
export function requestContextOf(request: FhirRequest): RequestContext {
  const { identity, authorizer } = request.event.requestContext;
  allowedClientIds ??= listEnv(allowedClientIdsEnvVar);
  return {
    principal: principalFromClaims(authorizer?.claims as Record<string, unknown> | undefined, allowedClientIds),
    requestId: request.requestId,
    ...clientOf(identity),
  };
}

/**
 * Where the call comes from. Typed more loosely than @types/aws-lambda promises: an event built by
 * hand (a console test) may lack the identity or its fields, and null means unknown here.
 */
function clientOf(identity: { readonly sourceIp?: string | null; readonly userAgent?: string | null } | undefined): Pick<RequestContext, 'sourceIp' | 'userAgent'> {
  return { sourceIp: identity?.sourceIp ?? undefined, userAgent: identity?.userAgent ?? undefined };
}
