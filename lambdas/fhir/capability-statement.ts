import { resourceServerIdentifier } from '../contracts/auth';
import { routes, type FhirInteraction } from '../contracts/routes';
import { patientCompartmentParams, resourceTypes, searchParametersOf, type ResourceType, type SearchParameterInfo } from './registry/registry';
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
          description: `OAuth 2.0 access tokens from the network's Cognito user pool (Authorization: Bearer <token>); staff roles come from Cognito groups, system clients use ${resourceServerIdentifier}/* scopes. Every access to patient data is journaled.`,
        },
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
          searchInclude: referenceParams(type).map((param) => `${type}:${param.code}`),
          searchRevInclude: referencedBy.get(type) ?? [],
          searchParam: searchParametersOf(type).filter(isSearchable).map((param) => ({ name: param.code, type: param.type, documentation: consistencyOf(type, param) })),
          ...(supportedOperations(type).length ? { operation: supportedOperations(type).map((name) => ({ name, definition: `http://hl7.org/fhir/OperationDefinition/${type}-${name}` })) } : {}),
        })),
        operation: [{ name: 'everything', definition: 'http://hl7.org/fhir/OperationDefinition/Patient-everything' }],
      },
    ],
  };
}

function referenceParams(type: ResourceType): SearchParameterInfo[] {
  return searchParametersOf(type).filter((param) => param.type === 'reference' && isSearchable(param));
}

/** For each type, the `Source:param` references that can point at it (for `_revinclude`). */
function reverseReferences(): Map<string, string[]> {
  const byTarget = new Map<string, string[]>();
  for (const source of resourceTypes.filter(isStorable)) {
    for (const param of referenceParams(source)) {
      for (const target of param.target ?? []) byTarget.set(target, [...(byTarget.get(target) ?? []), `${source}:${param.code}`]);
    }
  }
  return byTarget;
}

function consistencyOf(type: ResourceType, param: SearchParameterInfo): string {
  const readYourWrites =
    param.code === '_id' ||
    (param.code === 'identifier' && param.type === 'token') ||
    (param.type === 'reference' && patientCompartmentParams(type).includes(param.code));
  return readYourWrites
    ? 'Read-your-writes: found by the next request after a write returns (identifier with system|value; patient compartment references to Patient).'
    : 'Eventually consistent: indexed from the change stream, usually within a second (see docs/search.md).';
}
