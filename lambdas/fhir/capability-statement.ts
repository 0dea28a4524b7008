import { resourceServerIdentifier } from '../contracts/auth';
import { routes, type RouteDefinition } from '../contracts/routes';

/**
 * The CapabilityStatement is derived from the route table, so it lists exactly what is
 * served and cannot advertise an interaction that has no route.
 */
export interface CapabilityOptions {
  readonly baseUrl: string;
  readonly software: { readonly name: string; readonly version: string };
  /** When this deployment started: the statement describes the running instance. */
  readonly date: Date;
  /** Whether browser apps of other origins are let in. */
  readonly cors: boolean;
}

export function capabilityStatement({ baseUrl, software, date, cors }: CapabilityOptions) {
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
    rest: [
      {
        mode: 'server',
        security: {
          cors,
          service: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'OAuth' }] }],
          description: `OAuth 2.0 access tokens from the network's Cognito user pool (Authorization: Bearer <token>); staff roles come from Cognito groups, system clients use ${resourceServerIdentifier}/* scopes.`,
        },
        resource: resourceEntries(routes),
      },
    ],
  };
}

function resourceEntries(all: readonly RouteDefinition[]) {
  const byType = new Map<string, string[]>();
  for (const route of all) {
    if (!route.resourceType) continue;
    const interactions = byType.get(route.resourceType) ?? [];
    interactions.push(route.interaction);
    byType.set(route.resourceType, interactions);
  }
  return [...byType].map(([type, interactions]) => ({
    type,
    interaction: interactions.map((code) => ({ code })),
    versioning: 'versioned',
    readHistory: false,
    updateCreate: false,
  }));
}
