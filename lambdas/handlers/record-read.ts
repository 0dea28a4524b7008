import { fhirHandler } from '../platform/http';
import { recordInteractions, requestContextOf } from './record-context';

const record = recordInteractions();

export const handler = fhirHandler({
  read: async (request) => {
    const resource = await record.read(requestContextOf(request), request.route.resourceType!, request.params.id);
    return {
      status: 200,
      body: resource,
      headers: { ETag: `W/"${resource.meta.versionId}"`, 'Last-Modified': new Date(resource.meta.lastUpdated).toUTCString() },
    };
  },
});
