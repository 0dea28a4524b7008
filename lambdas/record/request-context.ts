import type { Principal } from '../access/principal';

/** What the domain needs to know about the request, free of any Lambda or HTTP type. */
export interface RequestContext {
  readonly principal: Principal;
  readonly requestId: string;
  readonly sourceIp?: string;
  readonly userAgent?: string;
  /** The HL7 v3 PurposeOfUse code the client declared; absent: TREAT. */
  readonly purposeOfUse?: string;
  /** The clinician's break-glass reason, already decoded and checked. */
  readonly breakGlassReason?: string;
}
