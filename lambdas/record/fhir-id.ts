import { Invalid, NotFound } from '../fhir/errors';
import { isResourceType, type ResourceType } from '../fhir/registry/registry';

const fhirId = /^[A-Za-z0-9\-.]{1,64}$/;

/** The type segment of a URL: one of the 145 R4 resource types, else 404 as for an unknown endpoint. */
export function resourceTypeOf(segment: string): ResourceType {
  if (!isResourceType(segment)) throw new NotFound(`"${segment.slice(0, 64)}" is not a FHIR R4 resource type this server knows`);
  return segment;
}

export function assertFhirId(id: string): string {
  if (!fhirId.test(id)) throw new Invalid(`"${id.slice(0, 80)}" is not a valid FHIR id`);
  return id;
}

export function versionIdOf(text: string): number {
  if (!/^[1-9]\d{0,9}$/.test(text)) throw new NotFound(`Version "${text.slice(0, 20)}" does not exist`);
  return Number(text);
}
