import { randomUUID } from 'node:crypto';
import type { Principal } from '../../lambdas/access/principal';
import type { Role } from '../../lambdas/access/roles';
import type { RequestContext } from '../../lambdas/record/request-context';

export function contextFor(...roles: Role[]): RequestContext {
  const principal: Principal = { kind: 'staff', sub: `sub-${roles.join('-') || 'none'}`, username: `${roles[0] ?? 'nobody'}@test`, clientId: 'test-client', roles, scopes: [] };
  return { principal, requestId: 'req-1', sourceIp: '10.1.2.3', userAgent: 'vitest' };
}

/** As contextFor, with a request id of its own, so the journal entries of one request can be told apart. */
export function requestFor(...roles: Role[]): RequestContext {
  return { ...contextFor(...roles), requestId: `req-${randomUUID()}` };
}

/** The request id a journal entry (an AuditEvent) records. */
export function requestIdOf(event: { readonly extension?: readonly { readonly url: string; readonly valueString?: string }[] }): string | undefined {
  return event.extension?.find((extension) => extension.url === 'urn:dsc:audit:request-id')?.valueString;
}
