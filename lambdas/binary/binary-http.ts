import { securityContextHeader } from '../contracts/access-headers';
import { Invalid } from '../fhir/errors';
import { versionHeaders, resourceRead } from '../handlers/responses';
import { acceptsJson, bodyBytes, RawContent, sendsJson, type FhirRequest, type FhirResponse } from '../platform/http';
import { maxInlineContentBytes } from './binary-content';
import type { BinaryAnswer } from './binary-service';

/** HTTP for Binary: raw bodies in, raw bytes or a download redirect out (docs/binary.md). */

/** A Binary read that may answer raw bytes: Accept decides, so the JSON-only check does not apply (`_format` is still held to JSON). */
export function negotiatesBinaryContent(request: FhirRequest): boolean {
  const format = request.event.multiValueQueryStringParameters?._format;
  return request.params.type === 'Binary' && (request.route.interaction === 'read' || request.route.interaction === 'vread') && !format;
}

/** A create or update of a Binary sent as its raw content (any Content-Type but FHIR JSON). */
export function isRawBinary(request: FhirRequest): boolean {
  return request.params.type === 'Binary' && !sendsJson(request);
}

/** The Binary a raw body stands for: its bytes as `data`, which the writer moves to S3 before the version commits. */
export function rawBinaryBody(request: FhirRequest): Record<string, unknown> {
  const bytes = bodyBytes(request, `Content over ${maxInlineContentBytes / 1024 / 1024} MiB goes through S3: ask POST Binary/$upload-url for an upload URL, PUT the bytes there, then create the Binary it returns`);
  const securityContext = request.header(securityContextHeader)?.trim();
  if (securityContext !== undefined && !/^[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/.test(securityContext)) {
    throw new Invalid(`${securityContextHeader} must be a reference such as Patient/123`);
  }
  return {
    resourceType: 'Binary',
    ...(request.params.id === undefined ? {} : { id: request.params.id }),
    contentType: request.header('content-type')?.trim() || 'application/octet-stream',
    ...(securityContext === undefined ? {} : { securityContext: { reference: securityContext } }),
    data: bytes.toString('base64'),
  };
}

/** Which form a Binary read answers in. */
export function binaryFormOf(request: FhirRequest): 'raw' | 'fhir' {
  return acceptsJson(request) ? 'fhir' : 'raw';
}

export function binaryResponse(request: FhirRequest, answer: BinaryAnswer): FhirResponse {
  const conditional = resourceRead(request, answer.version);
  if (conditional.status === 304) return conditional;
  const headers = versionHeaders(answer.version);
  switch (answer.kind) {
    case 'resource':
      return { status: 200, body: answer.resource, headers };
    case 'content':
      // An attachment, never a page rendered from the API's origin (an HTML or SVG upload cannot script it).
      return { status: 200, body: new RawContent(answer.bytes, answer.contentType), headers: { ...headers, 'Content-Disposition': 'attachment' } };
    case 'redirect':
      // Beyond what Lambda may return: a short-lived presigned GET straight from S3.
      return { status: 303, headers: { ...headers, Location: answer.url } };
  }
}
