import { randomUUID } from 'node:crypto';
import { Invalid, type OutcomeIssue } from '../fhir/errors';
import { parseFhirJson } from '../fhir/json';
import { isResourceType } from '../fhir/registry/registry';
import { entryIssue, entryName, fullUrlForm, splitRestfulUrl, type EntryLabel, type JsonObject } from './entries';
import { rewriteReferences } from './reference-rewriting';

/**
 * Plans a `transaction` or `batch` Bundle before anything is read or written: checks each
 * entry's shape, assigns the ids of the resources it creates (so every `urn:uuid:` reference can
 * be rewritten up front), describes its conditional parts for the executor, and orders the
 * entries as R4 requires (http.html#trules): DELETE, then POST, then PUT and PATCH, then GET and
 * HEAD, in Bundle order within each. Every planned entry keeps its index and fullUrl, so the
 * executor's errors and the response can name it.
 */

export type BundleKind = 'transaction' | 'batch';

interface Planned extends EntryLabel {
  /** The entry's `request.ifMatch`, an ETag such as `W/"3"`, checked by the executor. */
  readonly ifMatch?: string;
}

interface WithResource extends Planned {
  readonly resourceType: string;
  /** As sent: references are rewritten by the executor, once conditional targets are resolved. */
  readonly resource: JsonObject;
  /** `Type?criteria` references inside the resource; each must resolve to exactly one match. */
  readonly conditionalReferences: readonly string[];
}

/** POST: the id is assigned here, whatever the resource says (R4 http.html#create). */
export interface PlannedCreate extends WithResource {
  readonly action: 'create';
  readonly id: string;
  /** Conditional create: when a resource matches, nothing is created and the fullUrl means the match. */
  readonly ifNoneExist?: string;
}
export interface PlannedUpdate extends WithResource {
  readonly action: 'update';
  readonly id: string;
}
/** `PUT Type?criteria`: updates the one match, creates when none, fails on several. */
export interface PlannedConditionalUpdate extends WithResource {
  readonly action: 'conditional-update';
  readonly criteria: string;
}
/** R4 carries a JSON Patch in a Binary (`contentType` application/json-patch+json); `patch` is its decoded body. */
export interface PlannedPatch extends Planned {
  readonly action: 'patch';
  readonly resourceType: string;
  readonly id: string;
  readonly patch: unknown;
}
export interface PlannedConditionalPatch extends Planned {
  readonly action: 'conditional-patch';
  readonly resourceType: string;
  readonly criteria: string;
  readonly patch: unknown;
}
export interface PlannedDelete extends Planned {
  readonly action: 'delete';
  readonly resourceType: string;
  readonly id: string;
}
export interface PlannedConditionalDelete extends Planned {
  readonly action: 'conditional-delete';
  readonly resourceType: string;
  readonly criteria: string;
}
/** GET or HEAD: any read URL relative to the base, answered after the writes. */
export interface PlannedRead extends Planned {
  readonly action: 'read';
  readonly method: 'GET' | 'HEAD';
  readonly url: string;
  readonly ifNoneMatch?: string;
  readonly ifModifiedSince?: string;
}

export type PlannedEntry =
  | PlannedCreate
  | PlannedUpdate
  | PlannedConditionalUpdate
  | PlannedPatch
  | PlannedConditionalPatch
  | PlannedDelete
  | PlannedConditionalDelete
  | PlannedRead;

/** A batch entry refused on its own; the others go on (a transaction refuses them all instead). */
export interface RefusedEntry extends EntryLabel {
  readonly issues: readonly OutcomeIssue[];
}

export interface BundlePlan {
  readonly type: BundleKind;
  /** In processing order. */
  readonly entries: readonly PlannedEntry[];
  /** Batch only: the entries refused at planning, in Bundle order. */
  readonly refused: readonly RefusedEntry[];
  /**
   * fullUrl → `Type/id` for the entries whose identity is known before anything is read: plain
   * creates, updates and patches. The executor adds the fullUrls of conditional creates and
   * updates once it knows what their criteria match, then rewrites references with the result.
   */
  readonly references: ReadonlyMap<string, string>;
}

export interface PlanOptions {
  /** The id of each created resource; injectable so tests and the loader can choose. */
  readonly newId?: () => string;
}

type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
const phaseOf: Readonly<Record<Method, number>> = { DELETE: 0, POST: 1, PUT: 2, PATCH: 2, GET: 3, HEAD: 3 };
const methods = new Set<string>(Object.keys(phaseOf));
const jsonPatchType = 'application/json-patch+json';

/**
 * Throws Invalid when the Bundle is not a transaction or batch, when two entries share a
 * fullUrl, and, for a transaction, when any entry is malformed, refers to a `urn:` no entry
 * has, or changes a resource another entry changes too: every problem found, each naming its
 * entry. A batch's malformed entries are refused one by one instead.
 */
export function planBundle(bundle: unknown, options: PlanOptions = {}): BundlePlan {
  const newId = options.newId ?? randomUUID;
  const { type, entries } = bundleShape(bundle);
  const labels = entries.map((entry, index) => labelOf(entry, index));
  assertUniqueFullUrls(labels);
  // Every fullUrl is a known target while checking references; the real targets come later.
  const known = new Map(labels.flatMap((label) => (label.fullUrl === undefined ? [] : [[label.fullUrl, label.fullUrl] as const])));

  const planned: PlannedEntry[] = [];
  const refused: RefusedEntry[] = [];
  entries.forEach((raw, index) => {
    const label = labels[index] ?? { index };
    try {
      planned.push(withReferences(planEntry(raw, label, newId), type, known));
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      refused.push({ ...label, issues: error.issues });
    }
  });
  if (type === 'transaction') {
    const issues = [...refused.flatMap((entry) => entry.issues), ...overlapIssues(identitiesOf(planned))];
    if (issues.length > 0) throw new Invalid(issues);
  }
  planned.sort((a, b) => phase(a) - phase(b) || a.index - b.index);
  return { type, entries: planned, refused, references: referencesOf(planned) };
}

/** A resource a write entry changes, by its literal identity. */
export interface ChangedResource {
  readonly entry: EntryLabel;
  /** `Type/id` */
  readonly reference: string;
}

/**
 * R4: a transaction fails when the resources its DELETE, POST, PUT and PATCH entries change
 * overlap. The plan checks literal identities; the executor calls this again once conditional
 * updates and deletes are resolved to theirs.
 */
export function assertDistinctChanges(changes: readonly ChangedResource[]): void {
  const issues = overlapIssues(changes);
  if (issues.length > 0) throw new Invalid(issues);
}

function bundleShape(bundle: unknown): { type: BundleKind; entries: readonly unknown[] } {
  if (!isObject(bundle) || bundle.resourceType !== 'Bundle') throw new Invalid('The body must be a Bundle');
  if (bundle.type !== 'transaction' && bundle.type !== 'batch') {
    throw new Invalid(`A Bundle sent to the base must be a transaction or a batch, not ${typeof bundle.type === 'string' ? bundle.type.slice(0, 40) : 'untyped'}`);
  }
  if (bundle.entry !== undefined && !Array.isArray(bundle.entry)) throw new Invalid('Bundle.entry must be an array');
  return { type: bundle.type, entries: (bundle.entry as unknown[] | undefined) ?? [] };
}

function labelOf(entry: unknown, index: number): EntryLabel {
  const fullUrl = isObject(entry) ? entry.fullUrl : undefined;
  return typeof fullUrl === 'string' ? { index, fullUrl } : { index };
}

function assertUniqueFullUrls(labels: readonly EntryLabel[]): void {
  const first = new Map<string, EntryLabel>();
  const issues: OutcomeIssue[] = [];
  for (const label of labels) {
    if (label.fullUrl === undefined) continue;
    const earlier = first.get(label.fullUrl);
    if (earlier) issues.push(entryIssue(label, `its fullUrl is also the fullUrl of ${entryName(earlier)}; each entry needs its own`, 'fullUrl'));
    else first.set(label.fullUrl, label);
  }
  if (issues.length > 0) throw new Invalid(issues);
}

type Fail = (diagnostics: string, element?: string) => never;

/** One entry, checked and described; Invalid naming it otherwise. References are not checked here. */
export function planEntry(raw: unknown, label: EntryLabel, newId: () => string): PlannedEntry {
  const fail: Fail = (diagnostics, element) => {
    throw new Invalid([entryIssue(label, diagnostics, element)]);
  };
  if (!isObject(raw)) return fail('an entry must be an object');
  if (raw.fullUrl !== undefined && (typeof raw.fullUrl !== 'string' || fullUrlForm(raw.fullUrl) === undefined)) {
    fail('fullUrl must be an absolute http(s) URL, urn:uuid:<uuid> or urn:oid:<oid>', 'fullUrl');
  }
  const request = raw.request;
  if (!isObject(request)) return fail('request is required in a transaction or batch', 'request');
  const method = request.method;
  if (typeof method !== 'string' || !methods.has(method)) return fail('request.method must be GET, HEAD, POST, PUT, PATCH or DELETE', 'request.method');
  const url = typeof request.url === 'string' ? request.url.replace(/^\//, '') : '';
  if (url === '') return fail('request.url is required', 'request.url');
  if (/^[a-z][a-z0-9+.-]*:/i.test(url)) fail('request.url must be relative to the base, such as Patient/123 or Patient?identifier=…', 'request.url');
  const common = { ...label, ...optional('ifMatch', request.ifMatch) };

  if (method === 'GET' || method === 'HEAD') {
    return { ...common, action: 'read', method, url, ...optional('ifNoneMatch', request.ifNoneMatch), ...optional('ifModifiedSince', request.ifModifiedSince) };
  }
  const target = targetOf(url, fail);
  const resourceOf = (): JsonObject & { resourceType: string } => {
    const resource = raw.resource;
    if (!isObject(resource) || typeof resource.resourceType !== 'string') return fail(`a ${method} entry needs a resource`, 'resource');
    assertFullUrlFits(label.fullUrl, target, fail);
    if (method !== 'PATCH' && resource.resourceType !== target.resourceType) {
      fail(`the resource is a ${resource.resourceType.slice(0, 64)} but request.url names ${target.resourceType}`, 'resource.resourceType');
    }
    return resource as JsonObject & { resourceType: string };
  };
  const { resourceType } = target;

  if (method === 'POST') {
    if (target.kind !== 'type') return fail('a POST request.url is the resource type alone; conditions go in request.ifNoneExist', 'request.url');
    // The query part alone, as R4 defines it; `Type?` before it is tolerated, as in HL7's own XDS example.
    const ifNoneExist = optionalText(request.ifNoneExist)?.replace(new RegExp(`^(${resourceType})?\\?`), '');
    return { ...common, action: 'create', resourceType, id: newId(), resource: resourceOf(), conditionalReferences: [], ...(ifNoneExist ? { ifNoneExist } : {}) };
  }
  if (target.kind === 'type') return fail(`a ${method} request.url is Type/id or Type?criteria`, 'request.url');
  if (method === 'DELETE') {
    return target.kind === 'criteria' ? { ...common, action: 'conditional-delete', resourceType, criteria: target.criteria } : { ...common, action: 'delete', resourceType, id: target.id };
  }
  if (method === 'PATCH') {
    const patch = jsonPatchOf(resourceOf(), fail);
    return target.kind === 'criteria' ? { ...common, action: 'conditional-patch', resourceType, criteria: target.criteria, patch } : { ...common, action: 'patch', resourceType, id: target.id, patch };
  }
  const resource = resourceOf();
  if (target.kind === 'criteria') return { ...common, action: 'conditional-update', resourceType, criteria: target.criteria, resource, conditionalReferences: [] };
  if (resource.id !== target.id) fail(`the resource's id must be ${target.id}, the id request.url names`, 'resource.id');
  return { ...common, action: 'update', resourceType, id: target.id, resource, conditionalReferences: [] };
}

type Target =
  | { readonly kind: 'type'; readonly resourceType: string }
  | { readonly kind: 'instance'; readonly resourceType: string; readonly id: string }
  | { readonly kind: 'criteria'; readonly resourceType: string; readonly criteria: string };

/** `Type`, `Type/id` or `Type?criteria`. */
function targetOf(url: string, fail: Fail): Target {
  const match = /^([A-Za-z]+)(?:\/([^/?]*))?(?:\?(.*))?$/s.exec(url);
  const resourceType = match?.[1];
  if (!match || !resourceType || !isResourceType(resourceType)) return fail('request.url must be an R4 resource type, Type/id or Type?criteria', 'request.url');
  const [, , id, criteria] = match;
  if (id !== undefined && criteria !== undefined) return fail('request.url is Type/id or Type?criteria, not both', 'request.url');
  if (criteria !== undefined) return criteria === '' ? fail('a conditional request.url needs criteria after the ?', 'request.url') : { kind: 'criteria', resourceType, criteria };
  if (id === undefined) return { kind: 'type', resourceType };
  if (!/^[A-Za-z0-9\-.]{1,64}$/.test(id)) fail(`"${id.slice(0, 80)}" is not a valid FHIR id`, 'request.url');
  return { kind: 'instance', resourceType, id };
}

/** An absolute RESTful fullUrl must name the resource the entry writes (R4: fullUrl agrees with Resource.id). */
function assertFullUrlFits(fullUrl: string | undefined, target: Target, fail: Fail): void {
  const named = fullUrl === undefined ? undefined : splitRestfulUrl(fullUrl);
  if (!named) return;
  if (named.resourceType !== target.resourceType) fail(`the fullUrl names a ${named.resourceType} but request.url names ${target.resourceType}`, 'fullUrl');
  if (target.kind === 'instance' && named.id !== target.id) fail(`the fullUrl names ${named.resourceType}/${named.id} but request.url names ${target.resourceType}/${target.id}`, 'fullUrl');
}

/** R4 http.html#patch: in a Bundle, a JSON Patch travels as a Binary's base64 `data`. */
function jsonPatchOf(resource: JsonObject, fail: Fail): unknown {
  if (resource.resourceType === 'Parameters') fail('FHIRPath Patch is not supported; send a JSON Patch in a Binary', 'resource');
  if (resource.resourceType !== 'Binary' || resource.contentType !== jsonPatchType || typeof resource.data !== 'string') {
    fail(`a PATCH entry's resource is a Binary with contentType ${jsonPatchType} and the patch as base64 data`, 'resource');
  }
  const data = resource.data;
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(data)) fail('the Binary data is not base64', 'resource.data');
  let patch: unknown;
  try {
    patch = parseFhirJson(Buffer.from(data, 'base64').toString('utf8'));
  } catch (error) {
    if (!(error instanceof Invalid)) throw error;
    fail(`the Binary data is not a JSON Patch: ${error.message}`, 'resource.data');
  }
  if (!Array.isArray(patch)) fail('a JSON Patch is an array of operations (RFC 6902)', 'resource.data');
  return patch;
}

/**
 * Checks the references of an entry's resource against the Bundle's fullUrls (a `urn:` no entry
 * has is an error) and lists its conditional references. A batch entry may not depend on another
 * (R4 http.html#transaction), so in a batch a reference to another entry's fullUrl is refused.
 */
function withReferences(entry: PlannedEntry, type: BundleKind, known: ReadonlyMap<string, string>): PlannedEntry {
  if (!('resource' in entry)) return entry;
  const found = rewriteReferences(entry.resource, { fullUrls: known }, entry);
  const other = found.fullUrls.find((fullUrl) => fullUrl !== entry.fullUrl);
  if (type === 'batch' && other !== undefined) {
    throw new Invalid([entryIssue(entry, `it refers to ${other}, another entry of the batch; entries that depend on each other belong in a transaction`, 'resource')]);
  }
  return { ...entry, conditionalReferences: found.conditional };
}

function identitiesOf(entries: readonly PlannedEntry[]): ChangedResource[] {
  return entries.flatMap((entry) => (entry.action === 'read' || !('id' in entry) ? [] : [{ entry, reference: `${entry.resourceType}/${entry.id}` }]));
}

function overlapIssues(changes: readonly ChangedResource[]): OutcomeIssue[] {
  const first = new Map<string, EntryLabel>();
  return changes.flatMap(({ entry, reference }) => {
    const earlier = first.get(reference);
    if (!earlier) first.set(reference, entry);
    return earlier ? [entryIssue(entry, `${entryName(earlier)} changes ${reference} too; a transaction changes each resource once`)] : [];
  });
}

function referencesOf(entries: readonly PlannedEntry[]): Map<string, string> {
  return new Map(
    entries.flatMap((entry) => {
      const known = entry.fullUrl !== undefined && (entry.action === 'update' || entry.action === 'patch' || (entry.action === 'create' && entry.ifNoneExist === undefined));
      return known ? [[entry.fullUrl, `${entry.resourceType}/${entry.id}`] as const] : [];
    }),
  );
}

function phase(entry: PlannedEntry): number {
  switch (entry.action) {
    case 'delete':
    case 'conditional-delete':
      return phaseOf.DELETE;
    case 'create':
      return phaseOf.POST;
    case 'read':
      return phaseOf[entry.method];
    default:
      return phaseOf.PUT;
  }
}

function optionalText(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** `{ [name]: value }` when the request carries it as text, else nothing. */
function optional<K extends string>(name: K, value: unknown): Partial<Record<K, string>> {
  const text = optionalText(value);
  return text === undefined ? {} : ({ [name]: text } as Record<K, string>);
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
