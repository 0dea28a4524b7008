import { binaryFormOf, binaryResponse, negotiatesBinaryContent } from '../binary/binary-http';
import { BinaryReads } from '../binary/binary-service';
import { contentStoreFromEnv } from '../binary/s3-content-store';
import { historyBundle, pageUrl, searchsetBundle } from '../fhir/bundle';
import { Invalid, NotFound } from '../fhir/errors';
import { isResourceType } from '../fhir/registry/registry';
import { readServices } from '../record/compose';
import { resourceTypeOf, versionIdOf } from '../record/fhir-id';
import { documentClient } from '../platform/dynamodb';
import { fhirHandler, formParams, type FhirRequest, type FhirResponse } from '../platform/http';
import { requestContextOf } from '../platform/request-context';
import { recordTableNamesFromEnv } from '../platform/tables';
import type { SearchResult } from '../search/search-service';
import { preferOf, queryText, resourceRead, storedTypeOf, subsetted } from './responses';

const { reader, search, access } = readServices(documentClient(), recordTableNamesFromEnv());
const binaries = new BinaryReads(reader, access, contentStoreFromEnv());

export const handler = fhirHandler({
  read: async (request) => {
    if (request.params.type === 'Binary') return binaryResponse(request, await binaries.read(requestContextOf(request), request.params.id ?? '', binaryFormOf(request)));
    return resourceRead(request, await reader.read(requestContextOf(request), storedTypeOf(request), request.params.id ?? ''));
  },

  vread: async (request) => {
    const versionId = versionIdOf(request.params.vid ?? '');
    if (request.params.type === 'Binary') return binaryResponse(request, await binaries.read(requestContextOf(request), request.params.id ?? '', binaryFormOf(request), versionId));
    return resourceRead(request, await reader.vread(requestContextOf(request), storedTypeOf(request), request.params.id ?? '', versionId));
  },

  'history-instance': async (request) => {
    const type = storedTypeOf(request);
    const page = await reader.history(requestContextOf(request), type, request.params.id ?? '', historyParams(request));
    return historyResponse(request, `/${type}/${request.params.id}/_history`, page);
  },

  'history-type': async (request) => {
    const type = storedTypeOf(request);
    const page = await reader.typeHistory(requestContextOf(request), type, historyParams(request));
    return historyResponse(request, `/${type}/_history`, page);
  },

  'search-type': async (request) => {
    const type = storedTypeOf(request);
    // POST [type]/_search carries its parameters in a form body, and may add some to the URL.
    const params = request.route.method === 'POST' ? [...request.query, ...formParams(request)] : request.query;
    const result = await search.search(requestContextOf(request), type, params, { lenient: preferOf(request).lenient, query: queryText(params) });
    return searchResponse(request, `/${type}`, params, result);
  },

  'instance-operation': async (request) => {
    const type = resourceTypeOf(request.params.type ?? '');
    const id = request.params.id ?? '';
    const operation = request.params.operation ?? '';
    const options = { lenient: preferOf(request).lenient, query: queryText(request.query) };
    if (type === 'Patient' && operation === '$everything') {
      const result = await search.everything(requestContextOf(request), id, request.query, options);
      return searchResponse(request, `/Patient/${id}/$everything`, request.query, result);
    }
    // Compartment search: GET Patient/[id]/[type]?…
    if (type === 'Patient' && isResourceType(operation)) {
      const result = await search.search(requestContextOf(request), operation, request.query, options, id);
      return searchResponse(request, `/Patient/${id}/${operation}`, request.query, result);
    }
    throw new NotFound(`${type}/[id]/${operation.slice(0, 64)} is not an operation or compartment this server supports (try Patient/[id]/$everything)`);
  },
}, { negotiatesContent: negotiatesBinaryContent });

function historyParams(request: FhirRequest) {
  let count = 20;
  let since: string | undefined;
  let cursor: string | undefined;
  for (const [name, value] of request.query) {
    if (name === '_count') {
      if (!/^\d{1,4}$/.test(value) || Number(value) < 1) throw new Invalid('_count must be a whole number from 1 to 1000');
      count = Math.min(1000, Number(value));
    } else if (name === '_since') {
      if (Number.isNaN(Date.parse(value)) || !/^\d{4}-\d{2}-\d{2}T/.test(value)) throw new Invalid('_since must be an instant such as 2024-01-31T00:00:00Z');
      since = new Date(value).toISOString();
    } else if (name === '_cursor') cursor = value;
    else if (!preferOf(request).lenient) throw new Invalid([{ severity: 'error', code: 'not-supported', diagnostics: `History takes _count, _since and _cursor, not ${JSON.stringify(name.slice(0, 64))}` }]);
  }
  return { count, since, cursor };
}

function historyResponse(request: FhirRequest, path: string, page: { items: readonly Parameters<typeof historyBundle>[2][number][]; next?: string }): FhirResponse {
  const links = { self: pageUrl(request.baseUrl, path, request.query), next: page.next ? pageUrl(request.baseUrl, path, request.query, page.next) : undefined };
  return { status: 200, body: historyBundle(request.baseUrl, links, page.items) };
}

function searchResponse(request: FhirRequest, path: string, params: readonly (readonly [string, string])[], result: SearchResult): FhirResponse {
  const elements = result.request?.elements;
  // The links show the parameters applied, without those ignored under lenient handling.
  const used = result.request?.used ?? params;
  const links = { self: pageUrl(request.baseUrl, path, used), next: result.next ? pageUrl(request.baseUrl, path, used, result.next) : undefined };
  const body = searchsetBundle({
    baseUrl: request.baseUrl,
    links,
    matches: result.matches.flatMap((version) => (version.resource ? [subsetted(version.resource, elements, result.request?.summary === 'data')] : [])),
    includes: result.includes.flatMap((version) => (version.resource ? [version.resource] : [])),
    total: result.total,
    issues: result.issues,
  });
  return { status: 200, body };
}
