import { randomUUID } from 'node:crypto';
import { entryIssue, entryName, type EntryLabel, type JsonObject } from '../bundle/entries';
import { conditionalReferenceParts, rewriteReferences } from '../bundle/reference-rewriting';
import { assertDistinctChanges, planBundle, type PlannedEntry, type PlannedRead } from '../bundle/transaction-plan';
import { FhirError, Invalid, NotImplemented, PreconditionFailed, VersionConflict, type OutcomeIssue } from '../fhir/errors';
import { operationOutcome } from '../fhir/operation-outcome';
import { isResourceType, type ResourceType } from '../fhir/registry/registry';
import { WriteCancelled } from '../store/dynamodb-record-store';
import type { VersionRecord, VersionWrite } from '../store/record-store';
import type { ReadService } from './read-service';
import type { RequestContext } from './request-context';
import { StagingStore } from './staging-store';
import { WriteService, type WriteDependencies } from './write-service';

/** One `Bundle.entry` of a transaction-response or batch-response. */
export interface ResponseEntry {
  readonly resource?: unknown;
  readonly response: {
    readonly status: string;
    readonly location?: string;
    readonly etag?: string;
    readonly lastModified?: string;
    readonly outcome?: fhir4.OperationOutcome;
  };
}

export interface BundleResponse {
  readonly resourceType: 'Bundle';
  readonly type: 'transaction-response' | 'batch-response';
  readonly entry: readonly ResponseEntry[];
}

/** An entry's result before the response is written: a version, nothing (a delete of nothing), or a refusal. */
type EntryResult = { readonly status: number; readonly version?: VersionRecord; readonly read?: boolean; readonly unchanged?: true } | { readonly status: number; readonly issues: readonly OutcomeIssue[] };

/** Batch entries run this many at a time: each is a request of its own, and the store is shared. */
const batchConcurrency = 8;

/**
 * `POST /` with a Bundle (R4 http.html#transaction). A transaction runs each entry through the
 * single write interactions against a staging store, which keeps the versions instead of
 * committing them, then commits them all in one TransactWriteItems: every entry or none. A batch
 * runs each entry as a request of its own.
 */
export class BundleService {
  private readonly newId: () => string;

  constructor(
    private readonly deps: WriteDependencies,
    private readonly reader: ReadService,
  ) {
    this.newId = deps.newId ?? randomUUID;
  }

  async process(ctx: RequestContext, bundle: unknown): Promise<BundleResponse> {
    const plan = planBundle(bundle, { newId: this.newId });
    if (plan.type === 'transaction') return this.transaction(ctx, plan.entries, plan.references);
    const results = new Map<number, EntryResult>(plan.refused.map((entry) => [entry.index, { status: 400, issues: entry.issues }]));
    const writer = new WriteService(this.deps);
    for (let start = 0; start < plan.entries.length; start += batchConcurrency) {
      await Promise.all(
        plan.entries.slice(start, start + batchConcurrency).map(async (entry) => {
          results.set(entry.index, await outcomeOf(async () => this.run(ctx, writer, entry, await this.resolvedResource(ctx, entry, new Map()))));
        }),
      );
    }
    return responseOf('batch-response', results);
  }

  private async transaction(ctx: RequestContext, entries: readonly PlannedEntry[], references: ReadonlyMap<string, string>): Promise<BundleResponse> {
    const fullUrls = new Map(references);
    const ids = new Map<number, string>();
    for (const entry of entries) {
      const id = await naming(entry, () => this.identityOf(ctx, entry));
      if (id === undefined) continue;
      ids.set(entry.index, id);
      if (entry.fullUrl !== undefined && 'resourceType' in entry) fullUrls.set(entry.fullUrl, `${entry.resourceType}/${id}`);
    }

    const staged: VersionWrite[] = [];
    const owners: PlannedEntry[] = [];
    // Updates that change nothing: no version to commit, but the transaction's journal names them.
    const unchanged: VersionRecord[] = [];
    const staging = new StagingStore(this.deps.store, staged);
    staging.readAheadCurrent(entries.flatMap((entry) => (entry.action === 'update' || entry.action === 'patch' ? [{ resourceType: entry.resourceType, id: entry.id }] : [])));
    const results = new Map<number, EntryResult>();
    const reads: PlannedRead[] = [];
    // One commit, one instant: every version of the transaction has the same lastUpdated.
    const at = (this.deps.now ?? (() => new Date()))();
    for (const entry of entries) {
      if (entry.action === 'read') {
        // Role checks before anything is written; restrictions are screened when the read runs.
        await naming(entry, () => this.authorizeRead(ctx, entry));
        reads.push(entry);
        continue;
      }
      const id = ids.get(entry.index) ?? ('id' in entry ? entry.id : this.newId());
      const writer = new WriteService({ ...this.deps, store: staging, newId: () => id, now: () => at });
      const before = staged.length;
      const result = await naming(entry, async () => this.run(ctx, writer, entry, await this.resolvedResource(ctx, entry, fullUrls)));
      results.set(entry.index, result);
      if ('unchanged' in result && result.unchanged && result.version) unchanged.push(result.version);
      for (let index = before; index < staged.length; index++) owners.push(entry);
    }
    assertDistinctChanges(staged.map((write, index) => ({ entry: owners[index] ?? { index: -1 }, reference: `${write.next.resourceType}/${write.next.id}` })));
    assertDistinctGuards(staged, owners);
    await this.commit(ctx, staged, owners, unchanged);
    for (const entry of reads) results.set(entry.index, await outcomeOf(() => this.read(ctx, entry)));
    return responseOf('transaction-response', results);
  }

  /** One journal entry per patient touched (and one per type of resources in no compartment), in the same commit; unchanged entries are journaled alone. */
  private async commit(ctx: RequestContext, staged: readonly VersionWrite[], owners: readonly PlannedEntry[], unchanged: readonly VersionRecord[]): Promise<void> {
    if (staged.length === 0 && unchanged.length === 0) return;
    const touched = [...staged.map(({ next, previous }) => ({ next, compartments: [...new Set([...next.compartments, ...(previous?.compartments ?? [])])] })), ...unchanged.map((next) => ({ next, compartments: next.compartments }))].map(
      ({ next, compartments }) => ({ reference: `${next.resourceType}/${next.id}`, compartments: compartments.length > 0 ? compartments : [next.resourceType] }),
    );
    const journal = this.deps.access.entriesFor(ctx, 'transaction', touched, 'success', 'Bundle');
    try {
      await this.deps.store.commitAll(staged, journal);
    } catch (error) {
      if (!(error instanceof WriteCancelled)) throw error;
      const entry = owners[error.writeIndex];
      const write = staged[error.writeIndex];
      if (!entry || !write) throw error;
      const reference = `${write.next.resourceType}/${write.next.id}`;
      // With If-Match the client asked for a version; losing it to a concurrent writer is a failed precondition.
      if (entry.ifMatch !== undefined) throw entryFailure(entry, new PreconditionFailed(`${reference} changed since the version If-Match names; nothing was written`));
      const why = error.guard ? `another request created a resource matching its ifNoneExist meanwhile` : `${reference} was changed by another request`;
      throw entryFailure(entry, new VersionConflict(`${why}; nothing was written, retry the transaction`));
    }
  }

  /**
   * The id a conditional create or update will have, so other entries can refer to it: the one
   * match, or a new resource. The single interaction then finds the same match.
   */
  private async identityOf(ctx: RequestContext, entry: PlannedEntry): Promise<string | undefined> {
    const criteria = entry.action === 'create' ? entry.ifNoneExist : entry.action === 'conditional-update' ? entry.criteria : undefined;
    if (criteria === undefined || !('resource' in entry)) return undefined;
    const { matches } = await this.deps.criteria.matches(ctx, typeOf(entry.resourceType), criteria, 2);
    if (matches.length > 1) throw new PreconditionFailed(`its criteria match more than one ${entry.resourceType}`);
    if (matches[0]) return matches[0].id;
    return entry.action === 'create' ? entry.id : typeof entry.resource.id === 'string' ? entry.resource.id : this.newId();
  }

  /** The entry's resource with its fullUrl and conditional references rewritten; each conditional one must match exactly one resource. */
  private async resolvedResource(ctx: RequestContext, entry: PlannedEntry, fullUrls: ReadonlyMap<string, string>): Promise<JsonObject | undefined> {
    if (!('resource' in entry)) return undefined;
    const conditional = new Map<string, string>();
    for (const reference of entry.conditionalReferences) {
      const parts = conditionalReferenceParts(reference);
      if (!parts) continue;
      const resourceType = typeOf(parts.resourceType);
      await this.deps.access.authorize(ctx, 'read', resourceType, 'search-type', resourceType, parts.criteria);
      const { matches } = await this.deps.criteria.matches(ctx, resourceType, parts.criteria, 2);
      const [match, ...others] = matches;
      if (!match || others.length > 0) throw new PreconditionFailed(`the conditional reference ${reference} matches ${match ? 'several resources' : 'no resource'}; it must match exactly one`);
      conditional.set(reference, `${resourceType}/${match.id}`);
    }
    return rewriteReferences(entry.resource, { fullUrls, conditional }, entry).resource;
  }

  /** The entry through its single interaction: the same authorization, validation and preconditions as a request of its own. */
  private async run(ctx: RequestContext, writer: WriteService, entry: PlannedEntry, resource: JsonObject | undefined): Promise<EntryResult> {
    const body = () => resource;
    switch (entry.action) {
      case 'create':
        return writer.create(ctx, typeOf(entry.resourceType), body, entry.ifNoneExist);
      case 'update':
        return writer.update(ctx, typeOf(entry.resourceType), entry.id, body, entry.ifMatch);
      case 'conditional-update':
        return writer.conditionalUpdate(ctx, typeOf(entry.resourceType), entry.criteria, body);
      case 'patch':
        return writer.patch(ctx, typeOf(entry.resourceType), entry.id, () => entry.patch, entry.ifMatch);
      case 'conditional-patch':
        return writer.conditionalPatch(ctx, typeOf(entry.resourceType), entry.criteria, () => entry.patch);
      case 'delete':
        return deleted(await writer.delete(ctx, typeOf(entry.resourceType), entry.id, entry.ifMatch));
      case 'conditional-delete':
        return deleted(await writer.conditionalDelete(ctx, typeOf(entry.resourceType), entry.criteria));
      case 'read':
        return this.read(ctx, entry);
    }
  }

  private async authorizeRead(ctx: RequestContext, entry: PlannedRead): Promise<void> {
    const target = readTargetOf(entry);
    await this.deps.access.authorize(ctx, 'read', target.resourceType, 'read', `${target.resourceType}/${target.id}`);
  }

  /** A read or vread, screened and journaled as the single interaction is. */
  private async read(ctx: RequestContext, entry: PlannedRead): Promise<EntryResult> {
    const { resourceType, id, versionId } = readTargetOf(entry);
    const version = versionId === undefined ? await this.reader.read(ctx, resourceType, id) : await this.reader.vread(ctx, resourceType, id, versionId);
    return { status: 200, version, read: true };
  }
}

/** Two conditional creates of one type with the same criteria would take one guard item, and DynamoDB refuses two actions on one item. */
function assertDistinctGuards(staged: readonly VersionWrite[], owners: readonly EntryLabel[]): void {
  const first = new Map<string, EntryLabel>();
  const issues = staged.flatMap(({ guard }, index) => {
    const entry = owners[index];
    if (!guard || !entry) return [];
    const key = `${guard.resourceType}?${guard.criteria}`;
    const earlier = first.get(key);
    if (!earlier) first.set(key, entry);
    return earlier ? [entryIssue(entry, `${entryName(earlier)} creates a ${guard.resourceType} unless the same criteria match; one entry is enough`)] : [];
  });
  if (issues.length > 0) throw new Invalid(issues);
}

function deleted(version: VersionRecord | undefined): EntryResult {
  return { status: 204, ...(version ? { version } : {}) };
}

/** Reads inside a Bundle are `Type/id` and `Type/id/_history/n`; searches are not served there yet. */
function readTargetOf(entry: PlannedRead): { resourceType: ResourceType; id: string; versionId?: number } {
  const match = /^([A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/(\d{1,10}))?$/.exec(entry.url);
  const resourceType = match?.[1];
  if (!match || !resourceType || !isResourceType(resourceType) || !match[2]) {
    throw new NotImplemented('a GET or HEAD inside a Bundle reads Type/id or Type/id/_history/n; send searches as requests of their own');
  }
  return { resourceType, id: match[2], ...(match[3] === undefined ? {} : { versionId: Number(match[3]) }) };
}

function typeOf(resourceType: string): ResourceType {
  // The plan has checked every type already; this narrows it.
  if (!isResourceType(resourceType)) throw new NotImplemented(`${resourceType.slice(0, 64)} is not an R4 resource type`);
  return resourceType;
}

/** A transaction stops at the first failing entry: the error, re-issued with the entry's index and fullUrl. */
async function naming<T>(entry: EntryLabel, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw error instanceof FhirError ? entryFailure(entry, error) : error;
  }
}

/** A batch entry fails alone: its status and OperationOutcome become its response. */
async function outcomeOf(work: () => Promise<EntryResult>): Promise<EntryResult> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof FhirError)) throw error;
    return { status: error.status, issues: error.issues };
  }
}

/** An entry's failure: the same status, each issue prefixed with the entry and located inside it. */
export class EntryFailed extends FhirError {
  constructor(
    readonly status: number,
    issues: readonly OutcomeIssue[],
  ) {
    super('EntryFailed', issues);
  }
}

function entryFailure(entry: EntryLabel, error: FhirError): EntryFailed {
  if (error instanceof EntryFailed) return error;
  return new EntryFailed(
    error.status,
    error.issues.map((issue) => {
      const named = entryIssue(entry, issue.diagnostics, undefined, issue.code);
      return { ...named, severity: issue.severity, expression: [...(named.expression ?? []), ...(issue.expression ?? [])] };
    }),
  );
}

const reasons: Readonly<Record<number, string>> = {
  200: 'OK',
  201: 'Created',
  204: 'No Content',
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  410: 'Gone',
  412: 'Precondition Failed',
  413: 'Payload Too Large',
  422: 'Unprocessable Entity',
  501: 'Not Implemented',
};

/** One response entry per request entry, in the request's order. */
function responseOf(type: BundleResponse['type'], results: ReadonlyMap<number, EntryResult>): BundleResponse {
  const entry = [...results].sort(([a], [b]) => a - b).map(([, result]): ResponseEntry => {
    const status = `${result.status} ${reasons[result.status] ?? ''}`.trim();
    if ('issues' in result) return { response: { status, outcome: operationOutcome(result.issues) } };
    const version = result.version;
    if (!version) return { response: { status } };
    const response = { status, etag: `W/"${version.versionId}"`, lastModified: version.lastUpdated };
    if (result.read) return { resource: version.resource, response };
    return { response: { ...response, location: `${version.resourceType}/${version.id}/_history/${version.versionId}` } };
  });
  return { resourceType: 'Bundle', type, entry };
}
