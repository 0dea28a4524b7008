import { randomUUID } from 'node:crypto';
import type { Principal } from '../access/principal';
import type { FhirInteraction } from '../contracts/routes';

/**
 * One entry of the access journal that the LRSSS requires: who, when, what, why and from
 * where, for every access to a person's information, denials and break-glass overrides
 * included. Stored as a FHIR R4 AuditEvent (DICOM/IHE-style codes) so the journal can be served
 * as FHIR.
 */
export type AccessOutcome = 'success' | 'denied' | 'not-found' | 'failed';

export interface AccessFacts {
  readonly principal: Principal;
  readonly interaction: Exclude<FhirInteraction, 'capabilities'>;
  /** The resources acted on or returned, e.g. `Observation/123`. */
  readonly entities?: readonly string[];
  /** The search or operation asked for, as the client sent it (kept only in the journal, which may hold PHI). */
  readonly query?: string;
  /** The person whose information it is, e.g. `Patient/123`, or the resource type when no person is concerned: the journal is kept per person. */
  readonly patient: string;
  readonly outcome: AccessOutcome;
  readonly recorded: Date;
  readonly sourceIp?: string;
  readonly userAgent?: string;
  readonly requestId: string;
  /** Why: an HL7 v3 PurposeOfUse code (TREAT by default, ETREAT under break-glass). */
  readonly purposeOfUse: string;
  /** The clinician's reason, when the request broke the glass. */
  readonly breakGlassReason?: string;
  /** The restrictions (`Consent/<id>`) break-glass overrode to give this access. */
  readonly overridden?: readonly string[];
  /** The API Gateway response type of a refusal the gateway made before any function ran (UNAUTHORIZED, ACCESS_DENIED). */
  readonly gatewayError?: string;
}

/** An R4 AuditEvent (@types/fhir), always with its id. */
export type AuditEvent = fhir4.AuditEvent & { readonly id: string };

/** http://hl7.org/fhir/audit-event-action: create, read, update, delete, execute (searches and operations). */
const actionCodes: Record<AccessFacts['interaction'], NonNullable<fhir4.AuditEvent['action']>> = {
  create: 'C',
  read: 'R',
  vread: 'R',
  'history-instance': 'R',
  'history-type': 'R',
  update: 'U',
  patch: 'U',
  'conditional-update': 'U',
  'conditional-patch': 'U',
  delete: 'D',
  'conditional-delete': 'D',
  'search-type': 'E',
  'instance-operation': 'E',
  'type-operation': 'E',
  transaction: 'E',
};
/** http://terminology.hl7.org/CodeSystem/extra-security-role-type: a person, or a system processing data. */
const agentTypes: Record<Principal['kind'], string> = { staff: 'humanuser', system: 'dataprocessor' };
/** http://hl7.org/fhir/audit-event-outcome: 0 success, 4 minor failure, 8 serious failure. */
const outcomeCodes: Record<AccessOutcome, NonNullable<fhir4.AuditEvent['outcome']>> = { success: '0', 'not-found': '4', denied: '4', failed: '8' };

export const purposeOfUseSystem = 'http://terminology.hl7.org/CodeSystem/v3-ActReason';
export const overriddenRestrictionUrl = 'urn:dsc:audit:overridden-restriction';
export const gatewayErrorUrl = 'urn:dsc:audit:gateway-error';

/** The AuditEvent of one access; `id` is given when an event is rebuilt from the journal. */
export function auditEventFor(facts: AccessFacts, id: string = randomUUID()): AuditEvent {
  const { principal } = facts;
  // A caller the gateway could not authenticate has no subject, client nor kind: only the address says who it was.
  const known = principal.sub !== '';
  return {
    resourceType: 'AuditEvent',
    id,
    type: { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest', display: 'RESTful Operation' },
    subtype: [{ system: 'http://hl7.org/fhir/restful-interaction', code: facts.interaction }],
    action: actionCodes[facts.interaction],
    recorded: facts.recorded.toISOString(),
    outcome: outcomeCodes[facts.outcome],
    outcomeDesc: facts.outcome,
    agent: [
      {
        ...(known ? { type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/extra-security-role-type', code: agentTypes[principal.kind] }] } } : {}),
        // The email and the linked Practitioner keep the entry readable after the account changes; the sub identifies it for good.
        who: {
          ...(principal.practitioner ? { reference: principal.practitioner } : {}),
          ...(known ? { identifier: { system: 'urn:dsc:cognito:sub', value: principal.sub } } : {}),
          display: principal.email ?? principal.username,
        },
        altId: principal.username,
        ...(principal.email ? { name: principal.email } : {}),
        requestor: true,
        role: principal.roles.map((role) => ({ coding: [{ system: 'urn:dsc:role', code: role }] })),
        network: facts.sourceIp ? { address: facts.sourceIp, type: '2' } : undefined,
        ...(principal.clientId === '' ? {} : { policy: [`urn:dsc:client:${principal.clientId}`] }),
      },
    ],
    purposeOfEvent: [{ coding: [{ system: purposeOfUseSystem, code: facts.purposeOfUse }], ...(facts.breakGlassReason === undefined ? {} : { text: facts.breakGlassReason }) }],
    source: {
      observer: { display: 'DSC FHIR API' },
      type: [{ system: 'http://terminology.hl7.org/CodeSystem/security-source-type', code: '3', display: 'Web Server' }],
    },
    entity: [
      facts.patient.includes('/')
        ? { what: { reference: facts.patient }, type: entityType('1'), role: { system: 'http://terminology.hl7.org/CodeSystem/object-role', code: '1' } }
        : { what: { display: facts.patient }, type: entityType('2') },
      ...(facts.entities ?? []).filter((entity) => entity !== facts.patient).map((entity) => ({ what: { reference: entity }, type: entityType('2') })),
      ...(facts.query !== undefined ? [{ type: entityType('2'), role: { system: 'http://terminology.hl7.org/CodeSystem/object-role', code: '24' }, query: Buffer.from(facts.query).toString('base64') }] : []),
    ],
    extension: [
      ...(facts.userAgent ? [{ url: 'urn:dsc:audit:user-agent', valueString: facts.userAgent }] : []),
      { url: 'urn:dsc:audit:request-id', valueString: facts.requestId },
      ...(facts.overridden ?? []).map((consent) => ({ url: overriddenRestrictionUrl, valueReference: { reference: consent } })),
      ...(facts.gatewayError === undefined ? [] : [{ url: gatewayErrorUrl, valueString: facts.gatewayError }]),
    ],
  };
}

function entityType(code: '1' | '2') {
  return { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code };
}
