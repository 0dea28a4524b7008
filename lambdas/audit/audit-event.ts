import { randomUUID } from 'node:crypto';
import type { Principal } from '../access/principal';
import type { FhirInteraction } from '../contracts/routes';

/**
 * One entry of the access journal that the LRSSS requires: who, when, what, why and from
 * where, for every access to a person's information, denials included. Stored as a FHIR
 * R4 AuditEvent (DICOM/IHE-style codes) so the journal can be served as FHIR later.
 */
export type AccessOutcome = 'success' | 'denied' | 'not-found' | 'failed';

export interface AccessFacts {
  readonly principal: Principal;
  readonly interaction: Exclude<FhirInteraction, 'capabilities'>;
  /** The resource acted on, e.g. `Patient/123`; absent for a search. */
  readonly entity?: string;
  /** The person whose information it is, e.g. `Patient/123`: the journal is kept per person. */
  readonly patient: string;
  readonly outcome: AccessOutcome;
  readonly recorded: Date;
  readonly sourceIp?: string;
  readonly userAgent?: string;
  readonly requestId: string;
}

export interface AuditEvent {
  readonly resourceType: 'AuditEvent';
  readonly id: string;
  readonly recorded: string;
  readonly [element: string]: unknown;
}

const actionCodes: Record<AccessFacts['interaction'], string> = { read: 'R', create: 'C' };
/** http://hl7.org/fhir/audit-event-outcome: 0 success, 4 minor failure, 8 serious failure. */
const outcomeCodes: Record<AccessOutcome, string> = { success: '0', 'not-found': '4', denied: '4', failed: '8' };

export function auditEventFor(facts: AccessFacts): AuditEvent {
  const { principal } = facts;
  return {
    resourceType: 'AuditEvent',
    id: randomUUID(),
    type: { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest', display: 'RESTful Operation' },
    subtype: [{ system: 'http://hl7.org/fhir/restful-interaction', code: facts.interaction }],
    action: actionCodes[facts.interaction],
    recorded: facts.recorded.toISOString(),
    outcome: outcomeCodes[facts.outcome],
    outcomeDesc: facts.outcome,
    agent: [
      {
        type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/extra-security-role-type', code: 'humanuser' }] },
        who: { identifier: { system: 'urn:dsc:cognito:sub', value: principal.sub }, display: principal.username },
        requestor: true,
        role: principal.roles.map((role) => ({ coding: [{ system: 'urn:dsc:role', code: role }] })),
        network: facts.sourceIp ? { address: facts.sourceIp, type: '2' } : undefined,
        policy: [`urn:dsc:client:${principal.clientId}`],
      },
    ],
    source: {
      observer: { display: 'DSC FHIR API' },
      type: [{ system: 'http://terminology.hl7.org/CodeSystem/security-source-type', code: '3', display: 'Web Server' }],
    },
    entity: [
      { what: { reference: facts.patient }, type: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '1' }, role: { system: 'http://terminology.hl7.org/CodeSystem/object-role', code: '1' } },
      ...(facts.entity && facts.entity !== facts.patient
        ? [{ what: { reference: facts.entity }, type: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '2' } }]
        : []),
    ],
    extension: [
      ...(facts.userAgent ? [{ url: 'urn:dsc:audit:user-agent', valueString: facts.userAgent }] : []),
      { url: 'urn:dsc:audit:request-id', valueString: facts.requestId },
    ],
  };
}
