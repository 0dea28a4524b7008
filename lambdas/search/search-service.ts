import { decideByRole } from '../access/policy';
import type { Principal } from '../access/principal';
import { Gone, Invalid, NotFound, type OutcomeIssue } from '../fhir/errors';
import { compartmentSearchParams, isResourceType, type ResourceType } from '../fhir/registry/registry';
import type { AccessRecorder } from '../record/access-recorder';
import { assertFhirId } from '../record/fhir-id';
import type { RequestContext } from '../record/request-context';
import { searchIndexKey, splitReference } from '../store/keys';
import type { IndexQuery, RecordStore, VersionPointer, VersionRecord } from '../store/record-store';
import { indexEntriesFor, indexQueriesFor, sortKeyMeets } from './index-entries';
import { matchesAll, matchesClause, sortValue } from './match';
import { canonicalQuery, parseSearchRequest, type IncludeSpec, type ParsedValue, type ReferenceQuery, type SearchClause, type SearchRequest, type TokenQuery } from './search-request';

/**
 * Search without a second store: every search is driven by one Query on an index partition (or
 * direct reads), and every candidate is re-checked against its stored search values, so results
 * are exact even where the index lags. Each page examines a bounded number of index items, so the
 * cost of a request follows its results, never the size of the table.
 */
export const defaultCount = 20;
/** Index items one page may examine before it answers (possibly with fewer matches and a next link). */
const maxExaminedPerPage = 1000;
/** Candidates a sorted search or a total may examine: beyond, the client is asked to narrow the search. */
const maxExaminedForSortOrTotal = 5000;
const maxChainTargets = 100;
const maxIncludes = 500;

export interface SearchOptions {
  readonly lenient: boolean;
  /** The query as the client sent it, for the journal. */
  readonly query: string;
}

export interface SearchResult {
  readonly matches: readonly VersionRecord[];
  readonly includes: readonly VersionRecord[];
  /** Cursor of the next page. */
  readonly next?: string;
  readonly total?: number;
  readonly issues: readonly OutcomeIssue[];
  readonly request?: SearchRequest;
}

interface Candidate {
  readonly record: VersionRecord;
  /** Resumes right after this candidate. */
  readonly position?: string;
}

/** One ordered stream of candidates, paged by its own cursor. */
type Source = (cursor: string | undefined, limit: number) => Promise<{ candidates: Candidate[]; next?: string }>;

interface Plan {
  readonly sources: readonly Source[];
  /** The clause the sources were built from, for dropping duplicates across its OR values. */
  readonly driving?: SearchClause;
  /** Set when the sources already yield results in this order. */
  readonly orderedBy?: { readonly code: string; readonly descending: boolean };
}

interface PageState {
  readonly v: number;
  readonly c?: string;
  /** Sorted searches: the sort values and id of the last result returned. */
  readonly after?: readonly (string | null)[];
  /** Binds the cursor to its query. */
  readonly q: string;
}

export class SearchService {
  constructor(
    private readonly store: RecordStore,
    private readonly access: AccessRecorder,
  ) {}

  /** `GET [type]?…`, `POST [type]/_search` and, with `patient`, `GET Patient/[id]/[type]?…`. */
  async search(ctx: RequestContext, resourceType: ResourceType, params: readonly (readonly [string, string])[], options: SearchOptions, patient?: string): Promise<SearchResult> {
    // `!== undefined`: an empty id (`Patient//Observation`) is an invalid id, not a search of every patient.
    const subject = patient !== undefined ? `Patient/${assertFhirId(patient)}` : resourceType;
    await this.access.authorize(ctx, 'read', resourceType, 'search-type', subject, options.query);
    const request = parseSearchRequest(resourceType, params, { lenient: options.lenient });
    const clauses = await this.resolveChains(ctx, request.clauses);
    const result = clauses ? await this.page(ctx, request, clauses, patient !== undefined ? `Patient/${patient}` : undefined) : { matches: [], next: undefined, total: 0 };
    const includes = await this.includes(ctx.principal, request, result.matches);
    // What a patient's restriction withholds is dropped from matches and includes alike, without a trace.
    const visible = new Set(await this.access.admitListing(ctx, 'search-type', [...result.matches, ...includes], subject, options.query));
    return { ...result, matches: result.matches.filter((match) => visible.has(match)), includes: includes.filter((include) => visible.has(include)), issues: request.ignored, request };
  }

  /** For conditional interactions: at most `limit` current matches, not journaled here (the write that follows is). */
  async matches(ctx: RequestContext, resourceType: ResourceType, criteria: string, limit: number): Promise<{ matches: VersionRecord[]; canonical: string }> {
    const params = [...new URLSearchParams(criteria)];
    const request = parseSearchRequest(resourceType, params, { lenient: false });
    if (request.clauses.length === 0) throw new Invalid('Conditional criteria must contain at least one search parameter');
    const clauses = await this.resolveChains(ctx, request.clauses);
    const canonical = canonicalQuery(request);
    if (!clauses) return { matches: [], canonical };
    const { matches } = await this.page(ctx, { ...request, sort: [], count: limit, cursor: undefined, total: undefined, summary: undefined }, clauses, undefined, maxExaminedForSortOrTotal);
    return { matches: [...matches], canonical };
  }

  /** `Patient/[id]/$everything`: the patient's compartment, one Query per page. */
  async everything(ctx: RequestContext, patientId: string, params: readonly (readonly [string, string])[], options: SearchOptions): Promise<SearchResult> {
    const reference = `Patient/${assertFhirId(patientId)}`;
    await this.access.authorize(ctx, 'read', 'Patient', 'instance-operation', reference, options.query);
    const { since, types, count, cursor, issues } = everythingParams(params, options.lenient);
    const patient = await this.store.readCurrent('Patient', patientId);
    if (!patient || patient.deleted) {
      await this.access.record(ctx, 'instance-operation', [], 'not-found', reference, options.query);
      throw patient ? new Gone(`${reference} was deleted`) : new NotFound(`${reference} is not known`);
    }
    // Types the caller may not read are skipped before anything is read (a clerk sees demographics and scheduling only).
    const readable = (type: string) => isResourceType(type) && decideByRole({ principal: ctx.principal, action: 'read', type }).effect === 'permit';
    const keep = (pointer: VersionPointer & { lastUpdated?: string }) => readable(splitReference(pointer.reference).resourceType) && (!since || (pointer.lastUpdated ?? '') >= since);
    const sources = (types ?? [undefined]).map((type) => this.compartmentSource(reference, type, keep));
    const q = `$everything?${canonicalEverything(since, types)}`;
    // _count=0 asks for no resources (and so no next page).
    const result = count === 0 ? { matches: [], next: undefined } : await this.collectPage({ sources }, [], count, decodeState(cursor, q), q, reference, maxExaminedPerPage);
    const matches = await this.access.admitListing(ctx, 'instance-operation', result.matches, reference, options.query);
    return { ...result, matches, includes: [], issues };
  }

  private async page(ctx: RequestContext, request: SearchRequest, clauses: readonly SearchClause[], patient: string | undefined, examine = maxExaminedPerPage) {
    const q = `${request.resourceType}?${canonicalQuery(request)}${request.sort.map((key) => `&_sort=${key.descending ? '-' : ''}${key.code}`).join('')}${patient ? `&@${patient}` : ''}`;
    const state = decodeState(request.cursor, q);
    const count = request.summary === 'count' ? 0 : Math.max(0, request.count ?? defaultCount);
    const plan = this.plan(request.resourceType, clauses, patient, request.sort);
    // A total counts only what this caller may see, so that it reveals nothing a restriction withholds.
    const total = request.total === 'accurate' || request.summary === 'count' ? (await this.access.screen(ctx, await this.everyMatch(plan, clauses, patient, '_total'))).visible.length : undefined;
    if (count === 0) return { matches: [], next: undefined, total };
    const sorted = request.sort.length > 0 && !(plan.orderedBy && request.sort.length === 1 && request.sort[0]?.code === plan.orderedBy.code);
    const result = sorted
      ? await this.sortedPage(plan, clauses, request, count, state, q, patient)
      : await this.collectPage(plan, clauses, count, state, q, patient, examine);
    return { ...result, total };
  }

  /** Walks the plan's sources in order from the cursor, keeping matches until the page is full or the examination budget is spent. */
  private async collectPage(plan: Plan, clauses: readonly SearchClause[], count: number, state: PageState, q: string, patient: string | undefined, examine: number) {
    const matches: VersionRecord[] = [];
    let { v, c } = state;
    let examined = 0;
    while (v < plan.sources.length && matches.length < count && examined < examine) {
      const source = plan.sources[v];
      if (source === undefined) throw new Error(`The search plan has no source ${v}`);
      const batch = await source(c, Math.min(100, Math.max(10, count - matches.length), examine - examined));
      let stoppedAt: Candidate | undefined;
      for (const [index, candidate] of batch.candidates.entries()) {
        examined++;
        if (this.accept(candidate.record, clauses, patient) && !this.seenUnderEarlierValue(candidate.record, plan.driving, v)) matches.push(candidate.record);
        if (matches.length >= count && index < batch.candidates.length - 1) {
          stoppedAt = candidate;
          break;
        }
      }
      if (stoppedAt !== undefined) {
        c = stoppedAt.position;
        if (c === undefined) throw new Error('A source that can stop part-way must give positions');
        return { matches, next: encodeState({ v, c, q }) };
      }
      c = batch.next;
      if (c === undefined) v++;
    }
    const more = v < plan.sources.length;
    return { matches, next: more ? encodeState({ v, c, q }) : undefined };
  }

  /** Sorted searches gather every candidate (within a budget), sort, and page by the last sort key returned. */
  private async sortedPage(plan: Plan, clauses: readonly SearchClause[], request: SearchRequest, count: number, state: PageState, q: string, patient: string | undefined) {
    const all = await this.everyMatch(plan, clauses, patient, '_sort');
    const keyOf = (record: VersionRecord) => [...request.sort.map((key) => sortValue(record.searchValues, key) ?? null), record.id];
    const ordered = all.map((record) => ({ record, key: keyOf(record) })).sort((a, b) => compareKeys(a.key, b.key, request.sort));
    const after = state.after;
    const start = after ? ordered.findIndex((entry) => compareKeys(entry.key, after, request.sort) > 0) : 0;
    const page = start < 0 ? [] : ordered.slice(start, start + count);
    const last = page.at(-1);
    const more = start >= 0 && start + count < ordered.length;
    return { matches: page.map((entry) => entry.record), next: more && last ? encodeState({ v: 0, after: last.key, q }) : undefined };
  }

  private async everyMatch(plan: Plan, clauses: readonly SearchClause[], patient: string | undefined, why: string): Promise<VersionRecord[]> {
    const { matches, next } = await this.collectPage(plan, clauses, Number.MAX_SAFE_INTEGER, { v: 0, q: '' }, '', patient, maxExaminedForSortOrTotal);
    if (next) throw new Invalid([{ severity: 'error', code: 'too-costly', diagnostics: `${why} needs every match, and this search has more than ${maxExaminedForSortOrTotal} candidates: add a more selective parameter` }]);
    return matches;
  }

  private accept(record: VersionRecord, clauses: readonly SearchClause[], patient: string | undefined): boolean {
    if (record.deleted || !record.resource || !isResourceType(record.resourceType)) return false;
    if (patient && !record.compartments.includes(patient)) return false;
    return matchesAll(record.searchValues, clauses, { resourceType: record.resourceType, id: record.id });
  }

  /** With `code=a,b`, a resource holding both codes is listed under `a` only. */
  private seenUnderEarlierValue(record: VersionRecord, driving: SearchClause | undefined, v: number): boolean {
    if (!driving || v === 0 || !isResourceType(record.resourceType)) return false;
    const earlier = { ...driving, values: driving.values.slice(0, v) };
    return matchesClause(record.searchValues, earlier, { resourceType: record.resourceType, id: record.id });
  }

  /** Chooses the driving lookup: direct reads, then read-your-writes indexes, then the search index, then the type's listing. */
  private plan(resourceType: ResourceType, clauses: readonly SearchClause[], patient: string | undefined, sort: SearchRequest['sort']): Plan {
    if (patient) return { sources: [this.compartmentSource(patient, resourceType)] };
    const plain = clauses.filter((clause) => clause.modifier === undefined && !clause.chain);
    const ids = plain.find((clause) => clause.code === '_id');
    if (ids) return { sources: [this.referenceSource(resourceType, () => Promise.resolve(ids.values.flatMap((value) => (value.kind === 'token' && value.code ? [`${resourceType}/${value.code}`] : []))))] };
    const identifier = plain.find((clause) => clause.code === 'identifier' && clause.values.every(isSystemAndCode));
    if (identifier) {
      return {
        sources: [
          this.referenceSource(resourceType, async () => {
            // Every value is a system and a code (the find above): the filter only tells the compiler.
            const found = await Promise.all(identifier.values.filter(isSystemAndCode).map((value) => this.store.findByIdentifier(resourceType, value.system, value.code)));
            return [...new Set(found.flat())];
          }),
        ],
      };
    }
    const compartmentParams = compartmentSearchParams(resourceType);
    const byPatient = clauses.find(
      (clause) =>
        !clause.chain && (clause.modifier === undefined || clause.modifier === 'Patient') && compartmentParams.includes(clause.code) &&
        clause.values.every((value) => value.kind === 'reference' && value.type === 'Patient' && value.id && value.version === undefined),
    );
    if (byPatient) {
      const patients = byPatient.values.map((value) => `Patient/${(value as ReferenceQuery).id}`);
      return { sources: patients.map((reference) => this.compartmentSource(reference, resourceType)), driving: byPatient };
    }
    for (const kind of ['reference', 'token', 'uri', 'date', 'string', 'quantity', 'number']) {
      for (const clause of clauses) {
        if (clause.param.type !== kind) continue;
        const queries = indexQueriesFor(resourceType, clause);
        if (queries) return { sources: queries.map((query) => this.searchIndexSource(query, resourceType)), driving: clause };
      }
    }
    // No selective parameter: the type's listing, newest or oldest first by _lastUpdated.
    const descending = sort.length === 1 && sort[0]?.code === '_lastUpdated' && sort[0].descending;
    const listing = { pk: searchIndexKey(resourceType, '_lastUpdated', 'start') };
    return {
      sources: [this.searchIndexSource(listing, resourceType, descending)],
      orderedBy: { code: '_lastUpdated', descending },
    };
  }

  /**
   * Candidates from the search index, which the processor writes after the fact: each is read at
   * its current version (the entry may point at one since replaced or deleted), and a resource
   * with several entries in the partition (two given names starting alike) counts only at its
   * first entry in Query order, so no page repeats it.
   */
  private searchIndexSource(query: IndexQuery, resourceType: ResourceType, descending = false): Source {
    return async (cursor, limit) => {
      const page = await this.store.queryIndex(query, { cursor, limit, descending });
      const records = await Promise.all(page.items.map((pointer) => this.store.readCurrent(resourceType, splitReference(pointer.reference).id)));
      const candidates = page.items.flatMap((pointer, index) => {
        const record = records[index];
        return record && this.isFirstEntry(record, query, pointer, descending) ? [{ record, position: pointer.position }] : [];
      });
      return { candidates, next: page.next };
    };
  }

  private isFirstEntry(record: VersionRecord, query: IndexQuery, pointer: VersionPointer, descending: boolean): boolean {
    if (!isResourceType(record.resourceType) || pointer.sortKey === undefined) return true;
    const keys = indexEntriesFor(record.resourceType, record.id, record.searchValues)
      .filter((entry) => entry.pk === query.pk && sortKeyMeets(query.sk, entry.sk))
      .map((entry) => entry.sk)
      .sort();
    const first = descending ? keys.at(-1) : keys[0];
    return first === undefined || first === pointer.sortKey;
  }

  /** The patient compartment: its items are written with the version, so they name the current one. */
  private compartmentSource(patient: string, resourceType: string | undefined, keep?: (pointer: VersionPointer & { lastUpdated?: string }) => boolean): Source {
    return async (cursor, limit) => {
      const page = await this.store.compartment(patient, { cursor, limit, resourceType });
      const kept = keep ? page.items.filter(keep) : page.items;
      const records = await this.store.readVersions(kept);
      const byReference = new Map(records.map((record) => [`${record.resourceType}/${record.id}@${record.versionId}`, record]));
      // Dropped pointers still move the cursor: the last examined item's position closes the batch.
      const candidates = kept.flatMap((pointer) => {
        const record = byReference.get(`${pointer.reference}@${pointer.versionId}`);
        return record ? [{ record, position: pointer.position }] : [];
      });
      return { candidates, next: page.next };
    };
  }

  /** Direct reads of current versions, for `_id` and identifiers; positions are indexes into the list. */
  private referenceSource(resourceType: ResourceType, references: () => Promise<string[]>): Source {
    return async (cursor, limit) => {
      const all = (await references()).filter((reference) => reference.startsWith(`${resourceType}/`));
      const start = cursor ? Number(cursor) : 0;
      const slice = all.slice(start, start + limit);
      const records = await Promise.all(slice.map((reference) => this.store.readCurrent(resourceType, reference.slice(resourceType.length + 1))));
      const candidates = records.flatMap((record, index) => (record ? [{ record, position: String(start + index + 1) }] : []));
      return { candidates, next: start + limit < all.length ? String(start + limit) : undefined };
    };
  }

  /** `subject:Patient.identifier=…` becomes `subject=Patient/a,Patient/b` once the targets are found; undefined when nothing can match. */
  private async resolveChains(ctx: RequestContext, clauses: readonly SearchClause[]): Promise<SearchClause[] | undefined> {
    const resolved: SearchClause[] = [];
    for (const clause of clauses) {
      if (!clause.chain) {
        resolved.push(clause);
        continue;
      }
      const { targetType, clause: inner } = clause.chain;
      if (decideByRole({ principal: ctx.principal, action: 'read', type: targetType }).effect !== 'permit') {
        throw new Invalid([{ severity: 'error', code: 'forbidden', diagnostics: `The chained search on ${targetType} needs read access to ${targetType}` }]);
      }
      const innerClauses = await this.resolveChains(ctx, [inner]);
      if (!innerClauses) return undefined;
      const plan = this.plan(targetType, innerClauses, undefined, []);
      const { matches: candidates, next } = await this.collectPage(plan, innerClauses, maxChainTargets + 1, { v: 0, q: '' }, '', undefined, maxExaminedForSortOrTotal);
      // A restricted target must not select results either: that would tell what it holds.
      const { visible: matches } = await this.access.screen(ctx, candidates);
      if (matches.length > maxChainTargets || next) {
        throw new Invalid([{ severity: 'error', code: 'too-costly', diagnostics: `The chained parameter ${clause.code} matches more than ${maxChainTargets} ${targetType} resources: make it more selective` }]);
      }
      if (matches.length === 0) return undefined;
      resolved.push({ code: clause.code, param: clause.param, values: matches.map((match) => ({ kind: 'reference', type: targetType, id: match.id })) });
    }
    return resolved;
  }

  /** `_include` and `_revinclude`: only what the caller may read, never a match twice. */
  private async includes(principal: Principal, request: SearchRequest, matches: readonly VersionRecord[]): Promise<VersionRecord[]> {
    if (matches.length === 0 || (request.include.length === 0 && request.revinclude.length === 0)) return [];
    const seen = new Set(matches.map((match) => `${match.resourceType}/${match.id}`));
    const found: VersionRecord[] = [];
    const add = (record: VersionRecord | undefined) => {
      const reference = record && `${record.resourceType}/${record.id}`;
      if (!record || !reference || record.deleted || seen.has(reference) || found.length >= maxIncludes) return;
      if (!isResourceType(record.resourceType) || decideByRole({ principal, action: 'read', type: record.resourceType }).effect !== 'permit') return;
      seen.add(reference);
      found.push(record);
    };
    for (const spec of request.include) {
      const references = new Set(matches.flatMap((match) => referencesOf(match, spec)));
      const records = await Promise.all([...references].slice(0, maxIncludes).map((reference) => {
        const { resourceType, id } = splitReference(reference);
        return isResourceType(resourceType) ? this.store.readCurrent(resourceType, id) : Promise.resolve(undefined);
      }));
      records.forEach(add);
    }
    for (const spec of request.revinclude) {
      for (const match of matches) {
        const target = `${match.resourceType}/${match.id}`;
        const page = await this.store.queryIndex({ pk: searchIndexKey(spec.sourceType, spec.code, target) }, { limit: 100 });
        const records = await this.store.readVersions(page.items);
        records.filter((record) => (record.searchValues[spec.code] ?? []).includes(target)).forEach(add);
      }
    }
    return found;
  }
}

/** A token with a system and a code: what the identifier index is keyed by. */
function isSystemAndCode(value: ParsedValue): value is TokenQuery & { readonly system: string; readonly code: string } {
  return value.kind === 'token' && typeof value.system === 'string' && Boolean(value.code);
}

function referencesOf(record: VersionRecord, spec: IncludeSpec): string[] {
  return (record.searchValues[spec.code] ?? []).flatMap((value) =>
    typeof value === 'string' && /^[A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/.test(value) && (!spec.targetType || value.startsWith(`${spec.targetType}/`)) ? [value] : [],
  );
}

function compareKeys(a: readonly (string | null)[], b: readonly (string | null)[], sort: SearchRequest['sort']): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? null;
    const y = b[i] ?? null;
    if (x === y) continue;
    if (x === null) return 1; // resources without a value come last, whatever the direction
    if (y === null) return -1;
    const descending = sort[i]?.descending ?? false;
    return (x < y ? -1 : 1) * (descending ? -1 : 1);
  }
  return 0;
}

function encodeState(state: PageState): string {
  return Buffer.from(JSON.stringify(state)).toString('base64url');
}

function decodeState(cursor: string | undefined, q: string): PageState {
  if (cursor === undefined) return { v: 0, q };
  try {
    const state = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as PageState;
    if (state.q === q && Number.isInteger(state.v) && state.v >= 0 && (state.c === undefined || typeof state.c === 'string')) return state;
  } catch {
    // fall through
  }
  throw new Invalid('The paging cursor does not belong to this search; start again from the first page');
}

function canonicalEverything(since: string | undefined, types: readonly string[] | undefined): string {
  return `_since=${since ?? ''}&_type=${(types ?? []).join(',')}`;
}

/** `$everything` takes `_since`, `_type`, `_count` and our cursor (R4 Patient-everything). */
function everythingParams(params: readonly (readonly [string, string])[], lenient: boolean) {
  let since: string | undefined;
  let types: string[] | undefined;
  let count = defaultCount;
  let cursor: string | undefined;
  const issues: OutcomeIssue[] = [];
  for (const [name, value] of params) {
    if (name === '_since') {
      const instant = Date.parse(value);
      if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value) || Number.isNaN(instant)) throw new Invalid(`_since must be an instant such as 2024-01-31T00:00:00Z`);
      since = new Date(instant).toISOString();
    } else if (name === '_type') {
      types = value.split(',').map((type) => type.trim());
      const unknown = types.find((type) => !isResourceType(type));
      if (unknown !== undefined) throw new Invalid(`_type names an unknown resource type: ${JSON.stringify(unknown.slice(0, 64))}`);
      types = [...new Set(types)];
    } else if (name === '_count') {
      if (!/^\d{1,4}$/.test(value)) throw new Invalid('_count must be a whole number from 0 to 1000');
      count = Math.min(1000, Number(value));
    } else if (name === '_cursor') cursor = value;
    else if (lenient) issues.push({ severity: 'warning', code: 'not-supported', diagnostics: `Parameter ${JSON.stringify(name.slice(0, 64))} is not supported by $everything and was ignored` });
    else throw new Invalid([{ severity: 'error', code: 'not-supported', diagnostics: `Parameter ${JSON.stringify(name.slice(0, 64))} is not supported by $everything (use _since, _type, _count)` }]);
  }
  return { since, types, count, cursor, issues };
}
