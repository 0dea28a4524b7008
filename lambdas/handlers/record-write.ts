import { idempotencyKeyHeader } from '../contracts/idempotency-key';
import { isRawBinary, rawBinaryBody } from '../binary/binary-http';
import { BinaryUploads } from '../binary/binary-service';
import { contentStoreFromEnv } from '../binary/s3-content-store';
import { Invalid, NotFound } from '../fhir/errors';
import { validateResource } from '../fhir/validation';
import { writeServices } from '../record/compose-write';
import { idempotencyKeyOf } from '../record/idempotency';
import { documentClient } from '../platform/dynamodb';
import { fhirHandler, jsonBody, jsonPatchMediaTypes, type FhirRequest } from '../platform/http';
import { requestContextOf } from '../platform/request-context';
import { recordTableNamesFromEnv } from '../platform/tables';
import type { VersionRecord } from '../store/record-store';
import { queryText, storedTypeOf, versionHeaders, writeResponse } from './responses';

const content = contentStoreFromEnv();
const { writer, bundles, access } = writeServices(documentClient(), recordTableNamesFromEnv(), validateResource, { content });
const uploads = new BinaryUploads(access, content);

// A Binary may arrive as its raw content, any Content-Type but FHIR JSON (docs/binary.md).
const readBody = (request: FhirRequest) => () => (isRawBinary(request) ? rawBinaryBody(request) : jsonBody(request));
const readPatch = (request: FhirRequest) => () => jsonBody(request, jsonPatchMediaTypes, 'application/json-patch+json');

export const handler = fhirHandler({
  // A transaction or a batch Bundle; entries are authorised, validated and journaled as requests of their own.
  transaction: async (request) => {
    // Replaying a Bundle's answer would mean storing it whole; each create in it can be made safe to retry with ifNoneExist.
    if (request.header(idempotencyKeyHeader) !== undefined) throw new Invalid(`${idempotencyKeyHeader} is supported on create (POST [type]) only; in a Bundle, give each create an ifNoneExist`);
    return { status: 200, body: await bundles.process(requestContextOf(request), jsonBody(request)) };
  },

  create: async (request) => {
    const key = idempotencyKeyOf(request.header(idempotencyKeyHeader));
    const { status, version } = await writer.create(requestContextOf(request), storedTypeOf(request), readBody(request), request.header('if-none-exist'), key);
    return writeResponse(request, status, version);
  },

  update: async (request) => {
    const { status, version } = await writer.update(requestContextOf(request), storedTypeOf(request), request.params.id ?? '', readBody(request), request.header('if-match'));
    return writeResponse(request, status, version);
  },

  patch: async (request) => {
    const { status, version } = await writer.patch(requestContextOf(request), storedTypeOf(request), request.params.id ?? '', readPatch(request), request.header('if-match'));
    return writeResponse(request, status, version);
  },

  delete: async (request) =>
    deleted(await writer.delete(requestContextOf(request), storedTypeOf(request), request.params.id ?? '', request.header('if-match'))),

  'conditional-update': async (request) => {
    const { status, version } = await writer.conditionalUpdate(requestContextOf(request), storedTypeOf(request), criteriaOf(request), readBody(request));
    return writeResponse(request, status, version);
  },

  'conditional-patch': async (request) => {
    const { status, version } = await writer.conditionalPatch(requestContextOf(request), storedTypeOf(request), criteriaOf(request), readPatch(request));
    return writeResponse(request, status, version);
  },

  'conditional-delete': async (request) => deleted(await writer.conditionalDelete(requestContextOf(request), storedTypeOf(request), criteriaOf(request))),

  // POST [type]/$operation: Binary/$upload-url is the one type-level operation.
  'type-operation': async (request) => {
    const operation = `${request.params.type ?? ''}/${request.params.id ?? ''}`;
    if (operation !== 'Binary/$upload-url') throw new NotFound(`${operation.slice(0, 80)} is not an operation this server supports (try Binary/$upload-url)`);
    return { status: 200, body: await uploads.uploadUrl(requestContextOf(request), () => jsonBody(request)) };
  },
});

/** 204 whether or not a version was written: deleting a deleted resource is not an error (R4 3.1.0.7.1). */
function deleted(version: VersionRecord | undefined) {
  return { status: 204, headers: version ? versionHeaders(version) : undefined };
}

function criteriaOf(request: FhirRequest): string {
  const criteria = queryText(request.query);
  if (!criteria) throw new Invalid('A conditional interaction needs search criteria in the URL');
  return criteria;
}
