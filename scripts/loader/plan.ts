import { chunkLoad, type TransactionEntry } from '../../lambdas/bundle/chunking';
import type { LoadItem } from '../../lambdas/bundle/load-entries';
import { isLosslessNumber } from '../../lambdas/fhir/json';
import { positionOf, type LoadRefusal } from './inputs';
import { writeCostOf } from './write-cost';

/**
 * The recommended limits (docs/bundles.md): DynamoDB's 100 actions per transaction, and 1 MB
 * requests, far below API Gateway's 10 MB and Lambda's 6 MB.
 */
export const recommendedLimits = { maxEntries: 100, maxBytes: 1_000_000, maxActions: 100 } as const;

/** One transaction of the load, with what it waits for. */
export interface PlannedChunk {
  readonly entries: readonly TransactionEntry[];
  /** Where each entry came from (`file#entry[i]`, `file:line`), in the same order. */
  readonly positions: readonly string[];
  /** The files its entries came from. */
  readonly files: readonly string[];
  /** Earlier chunks (by index) it refers to: it is sent once they are committed. */
  readonly dependsOn: readonly number[];
}

export interface LoadSchedule {
  readonly chunks: readonly PlannedChunk[];
  readonly refused: readonly LoadRefusal[];
}

const conditionalReference = /^([A-Z][A-Za-z]+)\?./;

/** Every item in dependency-ordered transactions that fit, each knowing which earlier ones it needs. */
export function scheduleLoad(items: readonly LoadItem[], options: { source?: string } = {}): LoadSchedule {
  const plan = chunkLoad(items, { ...recommendedLimits, writeCostOf, ...(options.source === undefined ? {} : { source: options.source }) });
  const providers = new Map<string, number>();
  const typesByChunk = plan.chunks.map((chunk, index) => {
    for (const { entry } of chunk.entries) for (const key of keysOf(entry)) providers.set(key, index);
    return new Set(chunk.entries.map(({ entry }) => String(entry.resource.resourceType)));
  });
  const chunks = plan.chunks.map((chunk, index): PlannedChunk => {
    const dependsOn = new Set<number>();
    for (const { entry } of chunk.entries) {
      for (const text of stringsOf(entry.resource)) {
        const provider = providers.get(text);
        if (provider !== undefined) {
          if (provider < index) dependsOn.add(provider);
          continue;
        }
        // A conditional reference not naming an entry of the load by its condition may still match
        // one (by an identifier): wait for every earlier chunk writing that type, to be safe.
        const type = conditionalReference.exec(text)?.[1];
        if (type !== undefined) typesByChunk.forEach((types, earlier) => earlier < index && types.has(type) && dependsOn.add(earlier));
      }
    }
    return {
      entries: chunk.bundle.entry,
      positions: chunk.entries.map(({ item }) => positionOf(item.source, item.entry)),
      files: [...new Set(chunk.entries.map(({ item }) => item.source))],
      dependsOn: [...dependsOn].sort((a, b) => a - b),
    };
  });
  return { chunks, refused: plan.refused.map((refusal) => ({ position: positionOf(refusal.source, refusal.entry), reason: refusal.reason })) };
}

/**
 * Halves a chunk the server found too large (413). References from the second half to a
 * conditional entry of the first, by its `urn:uuid:`, become its conditional reference, as the
 * chunking writes them across chunks; the chunk's order already puts targets first.
 */
export function splitChunk(chunk: PlannedChunk): [PlannedChunk, PlannedChunk] {
  const half = Math.ceil(chunk.entries.length / 2);
  const first = chunk.entries.slice(0, half);
  const renamed = new Map(first.flatMap((entry) => (entry.request.method === 'PUT' && !entry.request.url.includes('?') ? [] : [[entry.fullUrl, keysOf(entry)[0] ?? entry.fullUrl] as const])));
  const second = chunk.entries.slice(half).map((entry) => ({ ...entry, resource: replaceStrings(entry.resource, renamed) as TransactionEntry['resource'] }));
  const part = (entries: readonly TransactionEntry[], positions: readonly string[]): PlannedChunk => ({ ...chunk, entries, positions });
  return [part(first, chunk.positions.slice(0, half)), part(second, chunk.positions.slice(half))];
}

/** How later chunks name what an entry writes: `Type/id` for a PUT by id, `Type?criteria` for a conditional one. */
function keysOf(entry: TransactionEntry): string[] {
  const { request, resource } = entry;
  if (request.method === 'PUT') return [request.url];
  return request.ifNoneExist === undefined ? [] : [`${String(resource.resourceType)}?${request.ifNoneExist}`];
}

function* stringsOf(value: unknown): Generator<string> {
  if (typeof value === 'string') yield value;
  else if (Array.isArray(value)) for (const item of value) yield* stringsOf(item);
  else if (typeof value === 'object' && value !== null && !isLosslessNumber(value)) for (const child of Object.values(value)) yield* stringsOf(child);
}

function replaceStrings(value: unknown, replacements: ReadonlyMap<string, string>): unknown {
  if (typeof value === 'string') return replacements.get(value) ?? value;
  if (Array.isArray(value)) return value.map((item) => replaceStrings(item, replacements));
  if (typeof value === 'object' && value !== null && !isLosslessNumber(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, replaceStrings(child, replacements)]));
  }
  return value;
}
