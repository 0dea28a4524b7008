import { createHash } from 'node:crypto';
import { Invalid } from '../fhir/errors';
import { stringifyFhirJson } from '../fhir/json';
import { sourceNamespace, uuidV5 } from './deterministic-id';
import { entryName, type JsonObject } from './entries';
import type { LoadItem, Refusal } from './load-entries';
import { conditionalReferenceParts, rewriteReferences } from './reference-rewriting';

/**
 * Splits what a load reads into transactions that each fit the limits, in dependency order, with
 * references rewritten across them. The key to idempotent and resumable loads is that every id
 * is derived from the source (deterministic-id.ts), so a plain create becomes `PUT Type/id`
 * (update as create): running the same load again, or again after a kill part-way, writes the
 * same resources under the same ids and creates nothing new.
 *
 * - Plain creates and updates are stored under their derived id; every reference to them, in
 *   any chunk, is rewritten to `Type/id` before anything is sent.
 * - Conditional creates (`ifNoneExist`) and conditional updates keep their condition: their id
 *   is only known once the server has looked. A reference to one from the same chunk uses its
 *   `urn:uuid:` fullUrl (the server's transaction resolves it); from a later chunk it becomes the
 *   conditional reference `Type?criteria`, which the executor resolves to the resource the
 *   earlier chunk committed.
 * - A conditional reference inside the data (`Practitioner?identifier=…`) that names exactly one
 *   entry of the load, by that entry's condition or by one of its identifiers, is a dependency
 *   like a literal one; the others are left for the executor, and listed per chunk.
 * - An entry's targets go in the same chunk or an earlier one. Entries that refer to each other
 *   in a cycle go in one chunk together; a cycle too large for one chunk is refused.
 */

export interface ChunkLimits {
  readonly maxEntries: number;
  /** Each chunk's transaction Bundle, as UTF-8 JSON. */
  readonly maxBytes: number;
  /** TransactWriteItems actions per chunk, as `writeCostOf` counts them. */
  readonly maxActions?: number;
}

/** What one entry costs a DynamoDB transaction: its own items, plus one journal item per patient of the chunk. */
export interface WriteCost {
  readonly items: number;
  /** `Patient/<id>` of the patients it touches; the journal writes one AuditEvent per patient per transaction. */
  readonly patients: readonly string[];
}

export interface ChunkOptions extends ChunkLimits {
  /** Names the source system, so that two systems' identical fullUrls or ids stay two resources. */
  readonly source?: string;
  readonly writeCostOf?: (entry: TransactionEntry) => WriteCost;
}

export interface TransactionEntry {
  /** `urn:uuid:<id>`: every entry has one, so the server's errors can name it. */
  readonly fullUrl: string;
  readonly resource: JsonObject;
  readonly request: { readonly method: 'PUT' | 'POST'; readonly url: string; readonly ifNoneExist?: string };
}

export interface ChunkedEntry {
  readonly item: LoadItem;
  /** The id derived from the source; the resource's own unless a condition finds another. */
  readonly id: string;
  readonly entry: TransactionEntry;
}

export interface Chunk {
  readonly bundle: { readonly resourceType: 'Bundle'; readonly type: 'transaction'; readonly entry: readonly TransactionEntry[] };
  readonly entries: readonly ChunkedEntry[];
  readonly bytes: number;
  /** With `writeCostOf`: the chunk's TransactWriteItems actions. */
  readonly actions?: number;
  /** Conditional references the executor resolves, each to exactly one match, before committing the chunk. */
  readonly conditionalReferences: readonly string[];
}

export interface LoadPlan {
  readonly chunks: readonly Chunk[];
  readonly refused: readonly Refusal[];
}

const envelopeBytes = Buffer.byteLength('{"resourceType":"Bundle","type":"transaction","entry":[]}');

interface Node {
  readonly item: LoadItem;
  readonly id: string;
  /** `Type/id` for plain entries; undefined for conditional ones, whose id the server decides. */
  readonly reference?: string;
  /** How a later chunk names a conditional entry: `Type?criteria`. */
  readonly criteriaReference?: string;
  readonly localUrl: string;
  readonly dependsOn: Set<number>;
  refusal?: string;
}

export function chunkLoad(items: readonly LoadItem[], options: ChunkOptions): LoadPlan {
  const namespace = sourceNamespace(options.source);
  const nodes = identify(items, namespace);
  const sourceKeys = keysOf(nodes);
  const conditionalMatches = matchesOfConditionalReferences(nodes);
  linkDependencies(nodes, sourceKeys, conditionalMatches);
  refuseDependents(nodes);

  // How a node refers to a conditional target: by its urn in the target's own chunk, by criteria from a later one.
  const build = (index: number, sameChunk: (target: number) => boolean) => {
    const node = nodes[index] as Node;
    // References turned into conditional ones here are the executor's to resolve, like those of the source.
    const madeConditional = new Set<string>();
    const nameOf = (target: number) => {
      const targetNode = nodes[target] as Node;
      if (targetNode.reference !== undefined) return targetNode.reference;
      if (sameChunk(target)) return targetNode.localUrl;
      if (targetNode.criteriaReference !== undefined) madeConditional.add(targetNode.criteriaReference);
      return targetNode.criteriaReference;
    };
    const fullUrls = { get: (key: string) => (sourceKeys.has(key) ? nameOf(sourceKeys.get(key) as number) : undefined) };
    const conditional = { get: (text: string) => (conditionalMatches.has(text) ? nameOf(conditionalMatches.get(text) as number) : undefined) };
    const rewritten = rewriteReferences(node.item.entry.resource, { fullUrls, conditional }, node.item.entry);
    return transactionEntryOf(node, { resource: rewritten.resource, conditional: [...new Set([...rewritten.conditional, ...madeConditional])] });
  };

  const order = stronglyConnected(nodes);
  const chunks: number[][] = [];
  const refused: Refusal[] = nodes.flatMap((node) => (node.refusal === undefined ? [] : [refusalOf(node)]));
  let current: number[] = [];
  let used = { entries: 0, bytes: envelopeBytes, items: 0, patients: new Set<string>() };
  const weights = new Map<number, { bytes: number; cost: WriteCost }>();
  const weightOf = (index: number) => {
    let weight = weights.get(index);
    if (!weight) {
      const hasConditionalTargets = [...(nodes[index] as Node).dependsOn].some((target) => nodes[target]?.reference === undefined);
      const later = build(index, () => false);
      const same = hasConditionalTargets ? build(index, () => true) : later.entry;
      const bytes = Math.max(Buffer.byteLength(stringifyFhirJson(later.entry)), Buffer.byteLength(stringifyFhirJson(same))) + 1;
      weight = { bytes, cost: options.writeCostOf?.(later.entry) ?? { items: 0, patients: [] } };
      weights.set(index, weight);
    }
    return weight;
  };
  const fits = (members: readonly number[], start: typeof used) => {
    const patients = new Set(start.patients);
    let { entries, bytes, items } = start;
    for (const index of members) {
      const { bytes: entryBytes, cost } = weightOf(index);
      entries += 1;
      bytes += entryBytes;
      items += cost.items;
      for (const patient of cost.patients) patients.add(patient);
    }
    const within = entries <= options.maxEntries && bytes <= options.maxBytes && (options.maxActions === undefined || items + patients.size <= options.maxActions);
    return within ? { entries, bytes, items, patients } : undefined;
  };
  const empty = () => ({ entries: 0, bytes: envelopeBytes, items: 0, patients: new Set<string>() });

  for (const component of order) {
    const alone = fits(component, empty());
    // Components come after what they depend on, so a target refused here is known by now.
    const refusedTarget = component.flatMap((index) => [...(nodes[index] as Node).dependsOn]).find((target) => nodes[target]?.refusal !== undefined);
    if (!alone || refusedTarget !== undefined) {
      const target = refusedTarget === undefined ? undefined : (nodes[refusedTarget] as Node).item;
      for (const index of component) {
        const node = nodes[index] as Node;
        node.refusal = target
          ? `it refers to ${entryName(target.entry)} of ${target.source}, which is refused`
          : component.length > 1
            ? `it is in a reference cycle of ${component.length} entries too large for one transaction`
            : 'it is too large for one transaction';
        refused.push(refusalOf(node));
      }
      continue;
    }
    const next = fits(component, used);
    if (next) {
      current.push(...component);
      used = next;
    } else {
      chunks.push(current);
      current = [...component];
      used = alone;
    }
  }
  if (current.length > 0) chunks.push(current);

  const chunkOf = new Map(chunks.flatMap((members, chunk) => members.map((index) => [index, chunk] as const)));
  return {
    chunks: chunks.map((members, chunk) => {
      const built = members.map((index) => ({ index, ...build(index, (target) => chunkOf.get(target) === chunk) }));
      const bundle = { resourceType: 'Bundle' as const, type: 'transaction' as const, entry: built.map(({ entry }) => entry) };
      const patients = new Set(members.flatMap((index) => weightOf(index).cost.patients));
      return {
        bundle,
        entries: built.map(({ index, entry }) => ({ item: (nodes[index] as Node).item, id: (nodes[index] as Node).id, entry })),
        bytes: Buffer.byteLength(stringifyFhirJson(bundle)),
        ...(options.writeCostOf ? { actions: members.reduce((sum, index) => sum + weightOf(index).cost.items, 0) + patients.size } : {}),
        conditionalReferences: [...new Set(built.flatMap(({ conditional }) => conditional))],
      };
    }),
    refused: refused.sort((a, b) => a.source.localeCompare(b.source) || a.entry.index - b.entry.index),
  };
}

/** The source identity of each entry and the id derived from it; a second entry with the same identity is refused. */
function identify(items: readonly LoadItem[], namespace: string): Node[] {
  const seen = new Map<string, LoadItem>();
  const occurrences = new Map<string, number>();
  return items.map((item) => {
    const { entry } = item;
    const criteria = entry.action === 'conditional-update' ? entry.criteria : entry.action === 'create' ? entry.ifNoneExist : undefined;
    let name = entry.fullUrl ?? (entry.action === 'update' ? `${entry.resourceType}/${entry.id}` : criteria === undefined ? undefined : `${entry.resourceType}?${criteria}`);
    if (name === undefined) {
      // No identity in the source: the content is one, counted so that two equal resources stay two.
      const digest = createHash('sha256').update(stringifyFhirJson(entry.resource)).digest('base64url');
      const occurrence = (occurrences.get(digest) ?? 0) + 1;
      occurrences.set(digest, occurrence);
      name = `content:${digest}#${occurrence}`;
    }
    const id = uuidV5(name, namespace);
    const node: Node = {
      item,
      id,
      ...(criteria === undefined ? { reference: `${entry.resourceType}/${id}` } : { criteriaReference: `${entry.resourceType}?${criteria}` }),
      localUrl: `urn:uuid:${id}`,
      dependsOn: new Set(),
    };
    const earlier = seen.get(name);
    if (earlier) node.refusal = `it is the same resource as ${entryName(earlier.entry)} of ${earlier.source}`;
    else seen.set(name, item);
    return node;
  });
}

/** The strings by which the source refers to each entry: its fullUrl, and `Type/id` for a PUT by id. */
function keysOf(nodes: readonly Node[]): Map<string, number> {
  const keys = new Map<string, number>();
  nodes.forEach((node, index) => {
    if (node.refusal !== undefined) return;
    const { entry } = node.item;
    if (entry.fullUrl !== undefined) keys.set(entry.fullUrl, index);
    if (entry.action === 'update') keys.set(`${entry.resourceType}/${entry.id}`, index);
  });
  return keys;
}

function linkDependencies(nodes: readonly Node[], keys: ReadonlyMap<string, number>, matches: ReadonlyMap<string, number>): void {
  // Every source key stands for itself while dependencies are found.
  const known = { get: (key: string) => (keys.has(key) ? key : undefined) };
  nodes.forEach((node, index) => {
    if (node.refusal !== undefined) return;
    try {
      const found = rewriteReferences(node.item.entry.resource, { fullUrls: known }, node.item.entry);
      for (const key of found.fullUrls) node.dependsOn.add(keys.get(key) as number);
      for (const text of found.conditional) {
        const target = matches.get(text);
        if (target !== undefined) node.dependsOn.add(target);
      }
      node.dependsOn.delete(index);
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      node.refusal = error.issues.map((issue) => issue.diagnostics).join('; ');
    }
  });
}

/**
 * Conditional references that name exactly one entry of the load: by its own condition
 * (`ifNoneExist`, conditional update criteria), or as `identifier=system|value` by one of its
 * identifiers. Computed from every entry's resource, so it does not depend on chunking.
 */
function matchesOfConditionalReferences(nodes: readonly Node[]): Map<string, number> {
  const candidates = new Map<string, Set<number>>();
  const add = (text: string, index: number) => {
    const set = candidates.get(text) ?? new Set<number>();
    set.add(index);
    candidates.set(text, set);
  };
  nodes.forEach((node, index) => {
    if (node.refusal !== undefined) return;
    if (node.criteriaReference !== undefined) add(node.criteriaReference, index);
    const { resourceType, resource } = node.item.entry;
    for (const identifier of Array.isArray(resource.identifier) ? (resource.identifier as unknown[]) : []) {
      const { system, value } = (identifier ?? {}) as JsonObject;
      if (typeof system === 'string' && typeof value === 'string') add(`${resourceType}?identifier=${system}|${value}`, index);
    }
  });
  const matches = new Map<string, number>();
  for (const [text, set] of candidates) {
    const [only] = set;
    if (set.size === 1 && only !== undefined && conditionalReferenceParts(text)) matches.set(text, only);
  }
  return matches;
}

/** An entry whose target is refused cannot be loaded without a dangling reference: it is refused too. */
function refuseDependents(nodes: readonly Node[]): void {
  const dependents = new Map<number, number[]>();
  nodes.forEach((node, index) => {
    for (const target of node.dependsOn) dependents.set(target, [...(dependents.get(target) ?? []), index]);
  });
  const queue = nodes.flatMap((node, index) => (node.refusal === undefined ? [] : [index]));
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    const target = nodes[next] as Node;
    for (const index of dependents.get(next) ?? []) {
      const node = nodes[index] as Node;
      if (node.refusal !== undefined) continue;
      node.refusal = `it refers to ${entryName(target.item.entry)} of ${target.item.source}, which is refused`;
      queue.push(index);
    }
  }
}

/**
 * Tarjan's strongly connected components, iteratively (a long chain of references must not
 * overflow the stack), visiting entries in source order. Each component comes out after every
 * component it depends on, so the result is a dependency order that stays close to the source's.
 */
function stronglyConnected(nodes: readonly Node[]): number[][] {
  const order: number[][] = [];
  const indexOf = new Map<number, number>();
  const low = new Map<number, number>();
  const onStack = new Set<number>();
  const stack: number[] = [];
  let counter = 0;
  const live = (index: number) => nodes[index]?.refusal === undefined;
  for (let root = 0; root < nodes.length; root++) {
    if (!live(root) || indexOf.has(root)) continue;
    const work: { node: number; targets: number[] }[] = [];
    const open = (node: number) => {
      indexOf.set(node, counter);
      low.set(node, counter);
      counter += 1;
      stack.push(node);
      onStack.add(node);
      work.push({ node, targets: [...(nodes[node] as Node).dependsOn].filter(live).sort((a, b) => b - a) });
    };
    open(root);
    while (work.length > 0) {
      const frame = work[work.length - 1] as (typeof work)[number];
      const target = frame.targets.pop();
      if (target !== undefined) {
        if (!indexOf.has(target)) open(target);
        else if (onStack.has(target)) low.set(frame.node, Math.min(low.get(frame.node) as number, indexOf.get(target) as number));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.node, Math.min(low.get(parent.node) as number, low.get(frame.node) as number));
      if (low.get(frame.node) === indexOf.get(frame.node)) {
        const component: number[] = [];
        for (let member = stack.pop(); member !== undefined; member = member === frame.node ? undefined : stack.pop()) {
          onStack.delete(member);
          component.push(member);
        }
        order.push(component.sort((a, b) => a - b));
      }
    }
  }
  return order;
}

function transactionEntryOf(node: Node, rewritten: { resource: JsonObject; conditional: readonly string[] }): { entry: TransactionEntry; conditional: readonly string[] } {
  const { entry } = node.item;
  const content = Object.fromEntries(Object.entries(rewritten.resource).filter(([key]) => key !== 'id'));
  const request =
    node.reference !== undefined
      ? { method: 'PUT' as const, url: node.reference }
      : entry.action === 'conditional-update'
        ? { method: 'PUT' as const, url: `${entry.resourceType}?${entry.criteria}` }
        : { method: 'POST' as const, url: entry.resourceType, ...(entry.action === 'create' && entry.ifNoneExist !== undefined ? { ifNoneExist: entry.ifNoneExist } : {}) };
  // A PUT by id carries the id; a conditional write must not, or it would contradict the match.
  const resource = node.reference !== undefined ? { ...content, resourceType: entry.resourceType, id: node.id } : content;
  return { entry: { fullUrl: node.localUrl, resource, request }, conditional: rewritten.conditional };
}

function refusalOf(node: Node): Refusal {
  const { index, fullUrl, line } = node.item.entry;
  return { source: node.item.source, entry: { index, ...(fullUrl === undefined ? {} : { fullUrl }), ...(line === undefined ? {} : { line }) }, reason: node.refusal ?? '' };
}
