import type { Principal } from '../../lambdas/access/principal';
import type { Role } from '../../lambdas/access/roles';
import type { RequestContext } from '../../lambdas/record/request-context';

export function contextFor(...roles: Role[]): RequestContext {
  const principal: Principal = { sub: `sub-${roles.join('-') || 'none'}`, username: `${roles[0] ?? 'nobody'}@test`, clientId: 'test-client', roles, scopes: [] };
  return { principal, requestId: 'req-1', sourceIp: '10.1.2.3', userAgent: 'vitest' };
}
