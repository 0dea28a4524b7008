import type { Principal } from '../access/principal';

/** What the domain needs to know about the request, free of any Lambda or HTTP type. */
export interface RequestContext {
  readonly principal: Principal;
  readonly requestId: string;
  readonly sourceIp?: string;
  readonly userAgent?: string;
}
