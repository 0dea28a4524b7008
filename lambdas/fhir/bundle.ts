import type { StoredResource, VersionRecord } from '../store/record-store';
import type { OutcomeIssue } from './errors';

/**
 * The Bundles the read interactions answer with: `searchset` for searches and `$everything`,
 * `history` for histories. Links carry the query as the client sent it, plus our opaque cursor.
 */
export interface Links {
  /** Absolute URL of this page. */
  readonly self: string;
  readonly next?: string;
}

export interface SearchsetInput {
  readonly baseUrl: string;
  readonly links: Links;
  readonly matches: readonly StoredResource[];
  readonly includes?: readonly StoredResource[];
  readonly total?: number;
  /** Warnings, e.g. parameters ignored under `Prefer: handling=lenient`. */
  readonly issues?: readonly OutcomeIssue[];
}

export function searchsetBundle(input: SearchsetInput) {
  const entry = [
    ...input.matches.map((resource) => ({ fullUrl: fullUrl(input.baseUrl, resource), resource, search: { mode: 'match' } })),
    ...(input.includes ?? []).map((resource) => ({ fullUrl: fullUrl(input.baseUrl, resource), resource, search: { mode: 'include' } })),
    ...(input.issues?.length ? [{ resource: { resourceType: 'OperationOutcome', issue: input.issues }, search: { mode: 'outcome' } }] : []),
  ];
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    ...(input.total === undefined ? {} : { total: input.total }),
    link: linksOf(input.links),
    ...(entry.length ? { entry } : {}),
  };
}

export function historyBundle(baseUrl: string, links: Links, versions: readonly VersionRecord[]) {
  return {
    resourceType: 'Bundle',
    type: 'history',
    link: linksOf(links),
    ...(versions.length
      ? {
          entry: versions.map((version) => {
            const url = `${version.resourceType}/${version.id}`;
            return {
              fullUrl: `${baseUrl}/${url}`,
              ...(version.resource ? { resource: version.resource } : {}),
              request: { method: version.deleted ? 'DELETE' : version.versionId === 1 ? 'POST' : 'PUT', url: version.versionId === 1 && !version.deleted ? version.resourceType : url },
              response: {
                status: version.deleted ? '204' : version.versionId === 1 ? '201' : '200',
                etag: `W/"${version.versionId}"`,
                lastModified: version.lastUpdated,
              },
            };
          }),
        }
      : {}),
  };
}

function fullUrl(baseUrl: string, resource: StoredResource): string {
  return `${baseUrl}/${resource.resourceType}/${resource.id}`;
}

function linksOf(links: Links) {
  return [{ relation: 'self', url: links.self }, ...(links.next ? [{ relation: 'next', url: links.next }] : [])];
}

/** A page URL: the path and the client's own parameters, with the cursor replaced. */
export function pageUrl(baseUrl: string, path: string, params: readonly (readonly [string, string])[], cursor?: string): string {
  const query = new URLSearchParams(params.filter(([name]) => name !== '_cursor').map(([name, value]): [string, string] => [name, value]));
  if (cursor) query.set('_cursor', cursor);
  const text = query.toString();
  return `${baseUrl}${path}${text ? `?${text}` : ''}`;
}
