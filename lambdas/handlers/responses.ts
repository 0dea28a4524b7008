import { notStoredReason } from '../fhir/capabilities';
import { NotFound } from '../fhir/errors';
import { operationOutcome } from '../fhir/operation-outcome';
import type { ResourceType } from '../fhir/registry/registry';
import { resourceTypeOf } from '../record/fhir-id';
import type { FhirRequest, FhirResponse } from '../platform/http';
import type { StoredResource, VersionRecord } from '../store/record-store';

/** HTTP details shared by the read and write handlers: types, ETags, Prefer, conditional reads. */

/** The `{type}` path segment as a type this server stores (Parameters and OperationOutcome are never stored). */
export function storedTypeOf(request: FhirRequest): ResourceType {
  const segment = request.params.type ?? '';
  const reason = notStoredReason(segment);
  if (reason) throw new NotFound(reason);
  return resourceTypeOf(segment);
}

export function versionHeaders(version: VersionRecord): Record<string, string> {
  return { ETag: `W/"${version.versionId}"`, 'Last-Modified': new Date(version.lastUpdated).toUTCString() };
}

/** `Location` of a version, which can be followed (vread). */
export function locationOf(request: FhirRequest, version: VersionRecord): string {
  return `${request.baseUrl}/${version.resourceType}/${version.id}/_history/${version.versionId}`;
}

/** Read and vread, honouring If-None-Match and If-Modified-Since with 304. */
export function resourceRead(request: FhirRequest, version: VersionRecord): FhirResponse {
  const headers = versionHeaders(version);
  const ifNoneMatch = request.header('if-none-match');
  const ifModifiedSince = request.header('if-modified-since');
  const unchanged = ifNoneMatch !== undefined
    ? ifNoneMatch.split(',').some((tag) => tag.trim() === '*' || tag.trim().replace(/^W\//, '') === `"${version.versionId}"`)
    : ifModifiedSince !== undefined && !Number.isNaN(Date.parse(ifModifiedSince)) && Math.floor(Date.parse(version.lastUpdated) / 1000) <= Math.floor(Date.parse(ifModifiedSince) / 1000);
  if (unchanged) return { status: 304, headers };
  return { status: 200, body: version.resource, headers };
}

type PreferReturn = 'minimal' | 'representation' | 'OperationOutcome';

export function preferOf(request: FhirRequest): { return: PreferReturn; lenient: boolean } {
  const prefer = request.header('prefer') ?? '';
  const value = (name: string) => new RegExp(`(?:^|[,;\\s])${name}\\s*=\\s*"?([A-Za-z]+)"?`, 'i').exec(prefer)?.[1];
  const returned = value('return')?.toLowerCase();
  return {
    return: returned === 'minimal' ? 'minimal' : returned === 'operationoutcome' ? 'OperationOutcome' : 'representation',
    lenient: value('handling')?.toLowerCase() === 'lenient',
  };
}

/** A write's answer: the version's headers, and the body that `Prefer: return=` asks for. */
export function writeResponse(request: FhirRequest, status: number, version: VersionRecord): FhirResponse {
  const headers = { ...versionHeaders(version), Location: locationOf(request, version) };
  const prefer = preferOf(request).return;
  if (prefer === 'minimal') return { status, headers };
  if (prefer === 'OperationOutcome') {
    const diagnostics = `${status === 201 ? 'Created' : 'Updated'} ${version.resourceType}/${version.id} version ${version.versionId}`;
    return { status, headers, body: operationOutcome([{ severity: 'information', code: 'informational', diagnostics }]) };
  }
  return { status, headers, body: version.resource };
}

/**
 * `_elements` (the listed top-level elements and the mandatory ones) and `_summary=data` (all but
 * the narrative), marked SUBSETTED (R4 search.html#elements, #summary).
 */
export function subsetted(resource: StoredResource, elements: readonly string[] | undefined, withoutText = false): StoredResource {
  if (!elements && !withoutText) return resource;
  const keep = (name: string) => (elements ? ['resourceType', 'id', 'meta', ...elements].includes(name) : name !== 'text');
  const subset = Object.fromEntries(Object.entries(resource).filter(([name]) => keep(name))) as StoredResource;
  const tag = [...((resource.meta.tag as unknown[] | undefined) ?? []), { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED' }];
  return { ...subset, meta: { ...resource.meta, tag } };
}

/** The query as the client sent it, for links and the journal. */
export function queryText(params: readonly (readonly [string, string])[]): string {
  return new URLSearchParams(params.map(([name, value]): [string, string] => [name, value])).toString();
}
