import { randomUUID } from 'node:crypto';
import { applyPatch, validate as validatePatch, type Operation } from 'fast-json-patch';
import { idempotencyKeyHeader } from '../contracts/idempotency-key';
import { Gone, Invalid, NotFound, PreconditionFailed, Unprocessable, VersionConflict, type OutcomeIssue } from '../fhir/errors';
import { parseFhirJson, stringifyFhirJson, toPlainJson } from '../fhir/json';
import { narrativeIssues } from '../fhir/narrative';
import { quebecIdentifierIssues } from '../fhir/quebec-identifiers';
import type { ResourceType } from '../fhir/registry/registry';
import { extractSearchValues } from '../search/extract-search-values';
import { GuardTaken, IdempotencyKeyTaken } from '../store/dynamodb-record-store';
import type { CreateGuard, RecordStore, StoredResource, VersionRecord, VersionWrite } from '../store/record-store';
import type { ContentOffloader } from '../binary/content-offloader';
import type { AccessRecorder } from './access-recorder';
import { assertFhirId } from './fhir-id';
import { idempotencyClaimOf, type IdempotencyClaim, type IdempotencyRecord } from './idempotency';
import { compartmentsOf, identifiersOf } from './index-facts';
import { hasSameContent } from './same-content';
import type { RequestContext } from './request-context';

/** Structural validation; injected so only the write function bundles the schemas. */
export type ResourceValidator = (resourceType: string, resource: unknown) => OutcomeIssue[];

/** Finds the current resources matching conditional criteria (`If-None-Exist`, conditional update/delete). */
export interface CriteriaMatcher {
  /** At most `limit` current matches; `canonical` is a stable text of the criteria, for create guards. */
  matches(ctx: RequestContext, resourceType: ResourceType, criteria: string, limit: number): Promise<{ matches: VersionRecord[]; canonical: string }>;
}

export interface WriteDependencies {
  readonly store: RecordStore;
  readonly access: AccessRecorder;
  readonly validate: ResourceValidator;
  readonly criteria: CriteriaMatcher;
  readonly now?: () => Date;
  readonly newId?: () => string;
  /** Moves inline content to S3 before a version commits (Binary, large attachments); only the write function has one. */
  readonly content?: ContentOffloader;
}

/** `unchanged`: an update whose content equals the current version's; nothing was written but its journal entry. */
export type WriteOutcome = { readonly status: 200 | 201; readonly version: VersionRecord; readonly unchanged?: true };

type JsonObject = Record<string, unknown>;
/** What a create claims with its version: a conditional create's guard, a keyed create's key. */
type CreateClaims = Pick<VersionWrite, 'guard' | 'idempotency'>;

/**
 * The write interactions: create, update, patch and delete, plain and conditional. Each version
 * is validated, committed with its read-your-writes index items and its journal entries in one
 * transaction, or not at all.
 */
export class WriteService {
  private readonly now: () => Date;
  private readonly newId: () => string;

  constructor(private readonly deps: WriteDependencies) {
    this.now = deps.now ?? (() => new Date());
    this.newId = deps.newId ?? randomUUID;
  }

  /**
   * `readBody` is called only once the caller is known to be permitted, so a denial reveals nothing about parsing.
   * `idempotencyKey` (already checked for form) makes a retry of this create answer as the first one did.
   */
  async create(ctx: RequestContext, resourceType: ResourceType, readBody: () => unknown, ifNoneExist?: string, idempotencyKey?: string): Promise<WriteOutcome> {
    await this.deps.access.authorize(ctx, 'write', resourceType, 'create', resourceType);
    const body = this.checked(resourceType, readBody());
    if (idempotencyKey === undefined) return this.createOnce(ctx, resourceType, body, ifNoneExist);
    return this.createWithKey(ctx, resourceType, body, ifNoneExist, idempotencyClaimOf(ctx.principal, idempotencyKey, resourceType, body, ifNoneExist));
  }

  async update(ctx: RequestContext, resourceType: ResourceType, id: string, readBody: () => unknown, ifMatch?: string): Promise<WriteOutcome> {
    assertFhirId(id);
    await this.deps.access.authorize(ctx, 'write', resourceType, 'update', `${resourceType}/${id}`);
    const body = this.checked(resourceType, readBody());
    if (body.id !== id) throw new Invalid(`The id in the body (${describeId(body.id)}) must match the id in the URL (${id})`);
    return this.updateExisting(ctx, resourceType, id, body, expectedVersion(ifMatch), 'update');
  }

  async patch(ctx: RequestContext, resourceType: ResourceType, id: string, readPatch: () => unknown, ifMatch?: string): Promise<WriteOutcome> {
    assertFhirId(id);
    await this.deps.access.authorize(ctx, 'write', resourceType, 'patch', `${resourceType}/${id}`);
    const operations = jsonPatchOf(readPatch());
    const current = await this.deps.store.readCurrent(resourceType, id);
    const expected = expectedVersion(ifMatch);
    if (!current) throw new NotFound(`${resourceType}/${id} is not known`);
    if (expected !== undefined && current.versionId !== expected) throw stale(resourceType, id, current.versionId);
    if (current.deleted || !current.resource) throw new Gone(`${resourceType}/${id} was deleted`);
    const patched = applyJsonPatch(current.resource, operations);
    if (patched.resourceType !== resourceType || patched.id !== id) throw new Unprocessable('A patch may not change the resourceType or the id');
    const body = this.checked(resourceType, patched, Unprocessable);
    // The patch applies to the version just read: a concurrent change in between fails it (409, or 412 under If-Match).
    return this.updateFrom(ctx, resourceType, id, body, current, expected, 'patch');
  }

  /** Deletes the current version; deleting a deleted resource changes nothing. Returns the delete version, if one was written. */
  async delete(ctx: RequestContext, resourceType: ResourceType, id: string, ifMatch?: string): Promise<VersionRecord | undefined> {
    assertFhirId(id);
    const reference = `${resourceType}/${id}`;
    await this.deps.access.authorize(ctx, 'write', resourceType, 'delete', reference);
    const current = await this.deps.store.readCurrent(resourceType, id);
    const expected = expectedVersion(ifMatch);
    if (!current) throw new NotFound(`${reference} is not known`);
    if (expected !== undefined && current.versionId !== expected) throw stale(resourceType, id, current.versionId);
    if (current.deleted) return undefined;
    const next: VersionRecord = {
      resourceType,
      id,
      versionId: current.versionId + 1,
      lastUpdated: this.now().toISOString(),
      deleted: true,
      searchValues: {},
      compartments: [],
      identifiers: [],
    };
    const journal = this.deps.access.entriesFor(ctx, 'delete', [{ reference, compartments: current.compartments }], 'success', resourceType);
    await this.commitOrConflict({ next, previous: current, journal }, expected !== undefined);
    return next;
  }

  async conditionalUpdate(ctx: RequestContext, resourceType: ResourceType, criteria: string, readBody: () => unknown): Promise<WriteOutcome> {
    await this.deps.access.authorize(ctx, 'write', resourceType, 'conditional-update', resourceType, criteria);
    const body = this.checked(resourceType, readBody());
    const { matches } = await this.deps.criteria.matches(ctx, resourceType, criteria, 2);
    const [match, ...others] = matches;
    if (others.length > 0) throw new PreconditionFailed(`The criteria match more than one ${resourceType}; make them more selective`);
    if (match) {
      if (body.id !== undefined && body.id !== match.id) throw new Invalid(`The id in the body (${describeId(body.id)}) is not the id of the matching resource`);
      return this.updateFrom(ctx, resourceType, match.id, { ...body, id: match.id }, match, match.versionId, 'conditional-update');
    }
    if (typeof body.id === 'string') {
      // No match: the body's id may create a resource, never overwrite one the criteria did not select.
      const existing = await this.deps.store.readCurrent(resourceType, assertFhirId(body.id));
      if (existing && !existing.deleted) throw new VersionConflict(`${resourceType}/${body.id} exists but does not match the criteria`);
      return this.updateFrom(ctx, resourceType, body.id, body, existing, existing?.versionId, 'conditional-update');
    }
    return { status: 201, version: await this.commitNew(ctx, resourceType, this.newId(), body, 'conditional-update') };
  }

  async conditionalDelete(ctx: RequestContext, resourceType: ResourceType, criteria: string): Promise<VersionRecord | undefined> {
    await this.deps.access.authorize(ctx, 'write', resourceType, 'conditional-delete', resourceType, criteria);
    const { matches } = await this.deps.criteria.matches(ctx, resourceType, criteria, 2);
    if (matches.length > 1) throw new PreconditionFailed(`The criteria match more than one ${resourceType}; conditional delete removes a single match`);
    const [match] = matches;
    return match ? this.delete(ctx, resourceType, match.id, `W/"${match.versionId}"`) : undefined;
  }

  async conditionalPatch(ctx: RequestContext, resourceType: ResourceType, criteria: string, readPatch: () => unknown): Promise<WriteOutcome> {
    await this.deps.access.authorize(ctx, 'write', resourceType, 'conditional-patch', resourceType, criteria);
    const { matches } = await this.deps.criteria.matches(ctx, resourceType, criteria, 2);
    if (matches.length > 1) throw new PreconditionFailed(`The criteria match more than one ${resourceType}; make them more selective`);
    const [match] = matches;
    if (!match) throw new NotFound(`No ${resourceType} matches the criteria`);
    return this.patch(ctx, resourceType, match.id, readPatch, `W/"${match.versionId}"`);
  }

  private async createOnce(ctx: RequestContext, resourceType: ResourceType, body: JsonObject, ifNoneExist: string | undefined, idempotency?: IdempotencyClaim): Promise<WriteOutcome> {
    if (ifNoneExist === undefined) return { status: 201, version: await this.commitNew(ctx, resourceType, this.newId(), body, 'create', { idempotency }) };
    return this.createUnlessExists(ctx, resourceType, body, ifNoneExist, idempotency);
  }

  /**
   * A keyed create: the key item is claimed in the create's own transaction, so of racing requests
   * with one key exactly one creates, and every other answers with what it made.
   */
  private async createWithKey(ctx: RequestContext, resourceType: ResourceType, body: JsonObject, ifNoneExist: string | undefined, claim: IdempotencyClaim): Promise<WriteOutcome> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const claimed = await this.deps.store.idempotencyRecord(claim.key);
      if (claimed) return this.replay(ctx, resourceType, claimed, claim);
      try {
        return await this.createOnce(ctx, resourceType, body, ifNoneExist, claim);
      } catch (error) {
        if (!(error instanceof IdempotencyKeyTaken)) throw error;
      }
      // The request holding the key may still be committing (a transaction conflict): give it a moment.
      await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));
    }
    // The draft's answer to a retry that overtakes the original request.
    throw new VersionConflict(`A request with this ${idempotencyKeyHeader} is still being processed; retry it shortly`);
  }

  /** The first answer again (201, the version it created), unless the key came with another request (422, per the draft). */
  private async replay(ctx: RequestContext, resourceType: ResourceType, claimed: IdempotencyRecord, claim: IdempotencyClaim): Promise<WriteOutcome> {
    if (claimed.fingerprint !== claim.fingerprint) {
      throw new Unprocessable(`This ${idempotencyKeyHeader} was first used with a different request; send a new key with a new request`);
    }
    const version = await this.deps.store.readVersion(resourceType, claimed.holder.slice(claimed.holder.indexOf('/') + 1), claimed.versionId);
    // Written in one transaction with the key item, so it cannot be missing unless the table was edited by hand.
    if (!version) throw new Error('The version an idempotency key item names is missing');
    // The answer carries the resource: a read now, so a restriction added since applies, and it is journaled.
    await this.deps.access.admitInstance(ctx, 'read', claimed.holder, [version], 'success');
    return { status: 201, version };
  }

  /** Conditional create: the guard item makes racing identical requests create exactly one resource. */
  private async createUnlessExists(ctx: RequestContext, resourceType: ResourceType, body: JsonObject, criteria: string, idempotency?: IdempotencyClaim): Promise<WriteOutcome> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const { matches, canonical } = await this.deps.criteria.matches(ctx, resourceType, criteria, 2);
      if (matches.length > 1) throw new PreconditionFailed(`If-None-Exist matches more than one ${resourceType}`);
      const guard = matches[0] ? undefined : await this.guardOf(resourceType, canonical, criteria, ctx);
      const existing = matches[0] ?? guard?.match;
      if (existing) {
        // The existing resource is returned: it is read, so a patient's restriction applies to it.
        await this.deps.access.admitInstance(ctx, 'read', `${resourceType}/${existing.id}`, [existing], 'success', criteria);
        return { status: 200, version: existing };
      }
      try {
        // Only a holder just checked and found no longer matching may be replaced: one that commits
        // meanwhile makes this put fail, and the next attempt finds its resource.
        const claim: CreateGuard = { resourceType, criteria: canonical, ...(guard?.staleHolder ? { replaces: guard.staleHolder } : {}) };
        return { status: 201, version: await this.commitNew(ctx, resourceType, this.newId(), body, 'create', { guard: claim, idempotency }) };
      } catch (error) {
        if (!(error instanceof GuardTaken)) throw error;
      }
    }
    throw new VersionConflict(`Too many concurrent creates of this ${resourceType}; retry`);
  }

  /**
   * The guard of conditional-create criteria, read once: its holder if it still matches (it may
   * not be in an eventually consistent index yet), or the holder that no longer does.
   */
  private async guardOf(resourceType: ResourceType, canonical: string, criteria: string, ctx: RequestContext): Promise<{ match?: VersionRecord; staleHolder?: string } | undefined> {
    const holder = await this.deps.store.guardHolder(resourceType, canonical);
    if (!holder) return undefined;
    const id = holder.slice(holder.indexOf('/') + 1);
    const current = await this.deps.store.readCurrent(resourceType, id);
    const { matches } = current && !current.deleted ? await this.deps.criteria.matches(ctx, resourceType, `${criteria}&_id=${encodeURIComponent(id)}`, 1) : { matches: [] };
    return matches[0] ? { match: matches[0] } : { staleHolder: holder };
  }

  private async updateExisting(ctx: RequestContext, resourceType: ResourceType, id: string, body: JsonObject, expected: number | undefined, interaction: 'update' | 'patch' | 'conditional-update'): Promise<WriteOutcome> {
    return this.updateFrom(ctx, resourceType, id, body, await this.deps.store.readCurrent(resourceType, id), expected, interaction);
  }

  /**
   * Writes the version after `current`, as just read by the caller (no second read): a change
   * committed in between makes the version put fail, so nothing is lost.
   */
  private async updateFrom(
    ctx: RequestContext,
    resourceType: ResourceType,
    id: string,
    body: JsonObject,
    current: VersionRecord | undefined,
    expected: number | undefined,
    interaction: 'update' | 'patch' | 'conditional-update',
  ): Promise<WriteOutcome> {
    if (expected !== undefined && current?.versionId !== expected) throw stale(resourceType, id, current?.versionId);
    const live = current?.resource && !current.deleted ? current.resource : undefined;
    // Content sent inline again but already in S3 compares as what the version stores (lambdas/binary).
    const incoming = live && this.deps.content ? this.deps.content.alreadyStored(live, body) : body;
    if (current && live && hasSameContent(live, incoming)) return this.unchanged(ctx, current, interaction);
    // Update as create (client-assigned ids, e.g. migrated from a legacy application): declared as updateCreate.
    const version = await this.commitVersion(ctx, resourceType, id, incoming, interaction, current, undefined, expected !== undefined);
    return { status: current && !current.deleted ? 200 : 201, version };
  }

  /**
   * An update that changes nothing writes no version, so re-running a load creates nothing; it is
   * still journaled (an access is an access), through the store so a transaction folds it into its own journal.
   */
  private async unchanged(ctx: RequestContext, current: VersionRecord, interaction: 'update' | 'patch' | 'conditional-update'): Promise<WriteOutcome> {
    const touched = [{ reference: `${current.resourceType}/${current.id}`, compartments: current.compartments }];
    await this.deps.store.commitAll([], this.deps.access.entriesFor(ctx, interaction, touched, 'success', current.resourceType));
    return { status: 200, version: current, unchanged: true };
  }

  private commitNew(ctx: RequestContext, resourceType: ResourceType, id: string, body: JsonObject, interaction: 'create' | 'conditional-update', claims?: CreateClaims): Promise<VersionRecord> {
    return this.commitVersion(ctx, resourceType, id, body, interaction, undefined, claims, false);
  }

  private async commitVersion(
    ctx: RequestContext,
    resourceType: ResourceType,
    id: string,
    body: JsonObject,
    interaction: 'create' | 'update' | 'patch' | 'conditional-update',
    previous: VersionRecord | undefined,
    claims: CreateClaims | undefined,
    conditional: boolean,
  ): Promise<VersionRecord> {
    const versionId = (previous?.versionId ?? 0) + 1;
    const lastUpdated = this.now().toISOString();
    const { meta, ...content } = body;
    delete content.id; // a copy: `body` keeps its id
    const built: StoredResource = {
      resourceType,
      id, // on create the server assigns the id; a client-sent one is ignored (R4 3.1.0.7)
      meta: { ...(isObject(meta) ? meta : {}), versionId: String(versionId), lastUpdated },
      ...content,
    };
    const offloaded = this.deps.content ? await this.deps.content.offload(built, async (type, binary) => (await this.create(ctx, type, () => binary)).version) : undefined;
    const resource = offloaded?.resource ?? built;
    const searchValues = extractSearchValues(toPlainJson(resource) as JsonObject);
    const compartments = [...new Set([...compartmentsOf(resourceType, id, searchValues), ...(offloaded?.compartments ?? [])])];
    const next: VersionRecord = { resourceType, id, versionId, lastUpdated, deleted: false, resource, searchValues, compartments, identifiers: identifiersOf(searchValues) };
    const reference = `${resourceType}/${id}`;
    // A change that moves a resource out of a patient's compartment concerns that patient too.
    const touched = [{ reference, compartments: [...new Set([...compartments, ...(previous?.compartments ?? [])])] }];
    const journal = this.deps.access.entriesFor(ctx, interaction, touched, 'success', resourceType);
    await this.commitOrConflict({ next, previous, ...claims, journal }, conditional);
    return next;
  }

  private async commitOrConflict(write: Parameters<RecordStore['commit']>[0], conditional: boolean): Promise<void> {
    try {
      await this.deps.store.commit(write);
    } catch (error) {
      // With If-Match the client asked for that version: losing the race is a failed precondition.
      if (conditional && error instanceof VersionConflict) {
        throw new PreconditionFailed(`${write.next.resourceType}/${write.next.id} was changed by another request after the version If-Match names; nothing was written`);
      }
      throw error;
    }
  }

  /** The body as a resource of the URL's type that passes R4 validation, the narrative rules and the Québec identifier rules. */
  private checked(resourceType: ResourceType, body: unknown, failure: new (issues: OutcomeIssue[]) => Error = Invalid): JsonObject {
    if (!isObject(body)) throw new Invalid('The request body must be a FHIR resource (a JSON object)');
    if (body.resourceType !== resourceType) {
      throw new Invalid(`The resourceType in the body (${String(body.resourceType).slice(0, 64)}) does not match the URL (${resourceType})`);
    }
    const plain = toPlainJson(body);
    const issues = [...this.deps.validate(resourceType, plain), ...narrativeIssues(plain as JsonObject, resourceType), ...quebecIdentifierIssues(plain as JsonObject, resourceType)];
    if (issues.length > 0) throw new failure(issues);
    return body;
  }
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeId(id: unknown): string {
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- message only: a validated id is a string; any other value is shown as String() shows it, on purpose
  return id === undefined ? 'absent' : String(id).slice(0, 64);
}

/** `W/"3"` (or `"3"`) → 3; anything else is a bad request. */
export function expectedVersion(ifMatch: string | undefined): number | undefined {
  if (ifMatch === undefined) return undefined;
  const match = /^\s*(?:W\/)?"(\d{1,10})"\s*$/.exec(ifMatch);
  if (!match?.[1]) throw new Invalid('If-Match must be an ETag such as W/"3"');
  return Number(match[1]);
}

function stale(resourceType: string, id: string, current?: number): PreconditionFailed {
  return new PreconditionFailed(
    current === undefined ? `${resourceType}/${id} does not exist in the version If-Match names` : `${resourceType}/${id} is at version ${current}, not the one If-Match names`,
  );
}

function jsonPatchOf(body: unknown): Operation[] {
  if (!Array.isArray(body)) throw new Invalid('A JSON Patch body is an array of operations (RFC 6902)');
  // fast-json-patch types the result as always an error; it is undefined for a valid patch.
  const problem = validatePatch(body as Operation[]) as ReturnType<typeof validatePatch> | undefined;
  if (problem) throw new Invalid(`Invalid JSON Patch: ${problem.name} at operation ${problem.index}`);
  return body as Operation[];
}

function applyJsonPatch(resource: StoredResource, operations: Operation[]): JsonObject {
  try {
    // A lossless copy (structuredClone and fast-json-patch's own clone would turn decimals into doubles), patched in place, prototype keys banned.
    const copy = parseFhirJson(stringifyFhirJson(resource)) as JsonObject;
    return applyPatch(copy, operations, true, true, true).newDocument;
  } catch (error) {
    // A failed `test` or a path that does not exist: the patch cannot apply to this version.
    throw new Unprocessable(`The patch cannot be applied: ${(error as Error).name === 'TEST_OPERATION_FAILED' ? 'a test operation failed' : 'an operation does not fit the resource'}`);
  }
}
