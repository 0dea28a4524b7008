import { breakGlassHeader, breakGlassPurposeOfUse, defaultPurposeOfUse, purposeOfUseHeader } from '../contracts/access-headers';
import { resourceServerIdentifier } from '../contracts/auth';
import { idempotencyKeyHeader } from '../contracts/idempotency-key';
import { routes, type FhirInteraction } from '../contracts/routes';
import { compartmentSearchParams, resourceTypes, searchParametersOf, type ResourceType, type SearchParameterInfo } from './registry/registry';
import { isSearchable, isStorable, supportedOperations } from './capabilities';

/**
 * The CapabilityStatement, derived from the route table and the R4 registry, so it lists exactly
 * what is served: per type, the interactions, the search parameters (with their consistency),
 * the includes and the operations.
 */
export interface CapabilityOptions {
  readonly baseUrl: string;
  readonly software: { readonly name: string; readonly version: string };
  /** When this deployment started: the statement describes the running instance. */
  readonly date: Date;
  /** Whether browser apps of other origins are let in. */
  readonly cors: boolean;
}

/** FHIR's names for the interactions our routes serve (instance operations are listed as operations). */
const typeLevel: Partial<Record<FhirInteraction, string>> = { 'search-type': 'search-type', create: 'create', 'history-type': 'history-type' };
const instanceLevel: Partial<Record<FhirInteraction, string>> = { read: 'read', vread: 'vread', update: 'update', patch: 'patch', delete: 'delete', 'history-instance': 'history-instance' };

export function capabilityStatement({ baseUrl, software, date, cors }: CapabilityOptions) {
  const served = new Set(routes.map((route) => route.interaction));
  const interactions = Object.entries({ ...instanceLevel, ...typeLevel })
    .filter(([interaction]) => served.has(interaction as FhirInteraction))
    .map(([, code]) => ({ code }));
  const referencedBy = reverseReferences();

  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: date.toISOString(),
    publisher: 'DSC (Dossier de santé connecté)',
    kind: 'instance',
    software,
    implementation: { description: 'DSC FHIR R4 API', url: baseUrl },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    patchFormat: ['application/json-patch+json'],
    rest: [
      {
        mode: 'server',
        security: {
          cors,
          service: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'OAuth' }] }],
          description:
            `OAuth 2.0 access tokens from the network's Cognito user pool (Authorization: Bearer <token>); staff roles come from Cognito groups, system clients use ${resourceServerIdentifier}/* scopes. ` +
            `Patients' restrictions (LRSSS) are active Consent resources with deny provisions: restricted items are left out of searches, includes, totals and $everything, and a read of one answers 403. ` +
            `In an emergency a clinician may override a restriction for one request with the ${breakGlassHeader} header (the reason, percent-encoded UTF-8); the access is journaled as ${breakGlassPurposeOfUse} and raises an alert. ` +
            `The ${purposeOfUseHeader} header declares the purpose of use (an HL7 v3 PurposeOfUse code; ${defaultPurposeOfUse} by default). Every access to patient data is journaled.`,
        },
        // `POST /` takes both Bundle types (R4 http.html#transaction).
        ...(served.has('transaction') ? { interaction: [{ code: 'transaction' }, { code: 'batch' }] } : {}),
        documentation: `Search parameters marked read-your-writes find a resource in the very next request after its write returns; every other parameter is eventually consistent (indexed from the change stream, usually within a second). ${readYourWritesNote} ${idempotencyNote}`,
        resource: resourceTypes.filter(isStorable).map((type) => ({
          type,
          interaction: interactions,
          versioning: 'versioned',
          readHistory: true,
          updateCreate: true,
          conditionalCreate: true,
          conditionalRead: 'full-support',
          conditionalUpdate: true,
          conditionalDelete: 'single',
          ...nonEmpty('searchInclude', referenceParams(type).map((param) => `${type}:${param.code}`)),
          ...nonEmpty('searchRevInclude', referencedBy.get(type) ?? []),
          searchParam: searchParametersOf(type).filter(isSearchable).map((param) => ({ name: param.code, type: param.type, ...documentationOf(type, param) })),
          ...(supportedOperations(type).length ? { operation: supportedOperations(type).map((name) => ({ name, definition: `http://hl7.org/fhir/OperationDefinition/${type}-${name}` })) } : {}),
        })),
      },
    ],
  };
}

function referenceParams(type: ResourceType): SearchParameterInfo[] {
  return searchParametersOf(type).filter((param) => param.type === 'reference' && isSearchable(param));
}

/**
 * For each type, the `Source:param` references that can point at it (for `_revinclude`).
 * References that may point at any type (Provenance.target, List.item…) would list themselves on
 * all 145 types; of those only Provenance:target, which clients commonly ask for, is listed.
 */
function reverseReferences(): Map<string, string[]> {
  const byTarget = new Map<string, string[]>();
  const storable = resourceTypes.filter(isStorable);
  for (const source of storable) {
    for (const param of referenceParams(source)) {
      const targets = param.target ?? [];
      const anyType = targets.length >= storable.length;
      if (anyType && `${source}:${param.code}` !== 'Provenance:target') continue;
      for (const target of targets) byTarget.set(target, [...(byTarget.get(target) ?? []), `${source}:${param.code}`]);
    }
  }
  return byTarget;
}

const idempotencyNote =
  `A create (POST [type]) may carry an ${idempotencyKeyHeader} header (draft-ietf-httpapi-idempotency-key-header, at most 255 visible ASCII characters): ` +
  'a retry with the same key and body answers as the first request did, without creating a second resource; the same key with another body answers 422.';
const readYourWritesNote = 'Read-your-writes: _id, identifier with system|value, and references to a Patient through the Patient compartment parameters and patient.';

function documentationOf(type: ResourceType, param: SearchParameterInfo): { documentation?: string } {
  const readYourWrites =
    param.code === '_id' ||
    (param.code === 'identifier' && param.type === 'token') ||
    (param.type === 'reference' && compartmentSearchParams(type).includes(param.code));
  return readYourWrites ? { documentation: 'Read-your-writes (see rest.documentation).' } : {};
}

function nonEmpty<K extends string>(name: K, values: readonly string[]): Partial<Record<K, readonly string[]>> {
  return values.length > 0 ? ({ [name]: values } as Record<K, readonly string[]>) : {};
}
