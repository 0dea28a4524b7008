import { validateResource } from '../fhir/validation';
import { fhirHandler, jsonBody } from '../platform/http';
import { recordInteractions, requestContextOf } from './record-context';

const record = recordInteractions(validateResource);

export const handler = fhirHandler({
  create: async (request) => {
    const context = requestContextOf(request);
    const created = await record.create(context, request.route.resourceType!, () => jsonBody(request));
    const { resourceType, id, meta } = created;
    // FHIR's Prefer: return=minimal asks for the headers alone.
    const minimal = /return=minimal/i.test(request.header('prefer') ?? '');
    return {
      status: 201,
      body: minimal ? undefined : created,
      headers: {
        Location: `${request.baseUrl}/${resourceType}/${id}/_history/${meta.versionId}`,
        ETag: `W/"${meta.versionId}"`,
        'Last-Modified': new Date(meta.lastUpdated).toUTCString(),
      },
    };
  },
});
