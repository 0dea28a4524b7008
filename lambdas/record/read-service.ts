import type { ResourceType } from '../fhir/registry/registry';
import { Gone, NotFound } from '../fhir/errors';
import type { Page, RecordStore, VersionRecord } from '../store/record-store';
import type { AccessRecorder } from './access-recorder';
import { assertFhirId } from './fhir-id';
import type { RequestContext } from './request-context';

export interface HistoryRequest {
  readonly count: number;
  readonly since?: string;
  readonly cursor?: string;
}

/**
 * The read interactions: read, vread and history. Nothing here can reach the validator or the
 * FHIRPath engine, so the read function's bundle stays small. Every answer is screened against
 * the patients' restrictions and journaled before it is returned.
 */
export class ReadService {
  constructor(
    private readonly store: RecordStore,
    private readonly access: AccessRecorder,
  ) {}

  async read(ctx: RequestContext, resourceType: ResourceType, id: string): Promise<VersionRecord> {
    const reference = `${resourceType}/${assertFhirId(id)}`;
    await this.access.authorize(ctx, 'read', resourceType, 'read', reference);
    const current = await this.store.readCurrent(resourceType, id);
    await this.admitOne(ctx, 'read', reference, current);
    if (!current) throw new NotFound(`${reference} is not known`);
    if (current.deleted) throw new Gone(`${reference} was deleted`);
    return current;
  }

  async vread(ctx: RequestContext, resourceType: ResourceType, id: string, versionId: number): Promise<VersionRecord> {
    const reference = `${resourceType}/${assertFhirId(id)}`;
    await this.access.authorize(ctx, 'read', resourceType, 'vread', reference);
    const version = await this.store.readVersion(resourceType, id, versionId);
    await this.admitOne(ctx, 'vread', reference, version);
    if (!version) throw new NotFound(`${reference}/_history/${versionId} is not known`);
    if (version.deleted) throw new Gone(`${reference} was deleted in version ${versionId}`);
    return version;
  }

  /** The versions of one resource, newest first, deletes included. */
  async history(ctx: RequestContext, resourceType: ResourceType, id: string, request: HistoryRequest): Promise<Page<VersionRecord>> {
    const reference = `${resourceType}/${assertFhirId(id)}`;
    await this.access.authorize(ctx, 'read', resourceType, 'history-instance', reference);
    const page = await this.store.history(resourceType, id, { limit: request.count, cursor: request.cursor, since: request.since, descending: true });
    await this.access.admitInstance(ctx, 'history-instance', reference, page.items, page.items.length > 0 || request.cursor ? 'success' : 'not-found');
    if (page.items.length === 0 && !request.cursor && !request.since) throw new NotFound(`${reference} is not known`);
    return page;
  }

  /** Every version of every resource of a type, newest first (eventually consistent: from the index processor). */
  async typeHistory(ctx: RequestContext, resourceType: ResourceType, request: HistoryRequest): Promise<Page<VersionRecord>> {
    await this.access.authorize(ctx, 'read', resourceType, 'history-type', resourceType);
    const page = await this.store.typeHistory(resourceType, { limit: request.count, cursor: request.cursor, since: request.since, descending: true });
    const versions = await this.store.readVersions(page.items);
    // A type's history lists what this caller may see: restricted versions are left out, as in a search.
    const visible = await this.access.admitListing(ctx, 'history-type', versions, resourceType);
    return { items: visible, next: page.next };
  }

  private async admitOne(ctx: RequestContext, interaction: 'read' | 'vread', reference: string, version: VersionRecord | undefined): Promise<void> {
    // The journal entry is written before any data leaves: if it cannot be, nothing is returned.
    await this.access.admitInstance(ctx, interaction, reference, version ? [version] : [], version ? 'success' : 'not-found');
  }
}
