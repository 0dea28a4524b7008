import { Invalid } from '../fhir/errors';
import type { EntryLabel, JsonObject } from './entries';
import { parseNdjson } from './ndjson';
import { planEntry, type PlannedConditionalUpdate, type PlannedCreate, type PlannedUpdate } from './transaction-plan';

/**
 * What the loader reads, as entries to load: the writes of a `transaction` or `batch` Bundle as
 * they are, and the resources of a `collection` Bundle or an NDJSON file as batch-like entries
 * (PUT `Type/id` when the resource has an id, POST otherwise). Ids are assigned later, by the
 * chunking (deterministically); anything that cannot be loaded is refused here with its reason
 * and its position in the source.
 */

/** The writes a load carries; deletes, patches and reads have no place in moving data in. */
export type LoadableEntry = PlannedCreate | PlannedUpdate | PlannedConditionalUpdate;

export interface LoadItem {
  /** The file or stream it came from. */
  readonly source: string;
  readonly entry: LoadableEntry;
}

export interface Refusal {
  readonly source: string;
  /** The entry by index (or line) and fullUrl, as the reason names it too. */
  readonly entry: EntryLabel;
  readonly reason: string;
}

export interface LoadInput {
  readonly items: readonly LoadItem[];
  readonly refused: readonly Refusal[];
}

/** A parsed Bundle of type transaction, batch or collection; Invalid for any other content. */
export function loadItemsOfBundle(source: string, bundle: unknown): LoadInput {
  if (!isObject(bundle) || bundle.resourceType !== 'Bundle') throw new Invalid(`${source}: not a Bundle`);
  const { type } = bundle;
  if (type !== 'transaction' && type !== 'batch' && type !== 'collection') {
    throw new Invalid(`${source}: a Bundle of type ${typeof type === 'string' ? type.slice(0, 40) : '(none)'} cannot be loaded; load transaction, batch or collection Bundles`);
  }
  if (bundle.entry !== undefined && !Array.isArray(bundle.entry)) throw new Invalid(`${source}: Bundle.entry must be an array`);
  const entries = (bundle.entry as unknown[] | undefined) ?? [];
  return collect(
    source,
    entries.map((raw, index) => {
      const fullUrl = isObject(raw) && typeof raw.fullUrl === 'string' ? raw.fullUrl : undefined;
      const label: EntryLabel = fullUrl === undefined ? { index } : { index, fullUrl };
      return { label, raw: type === 'collection' && isObject(raw) ? asWrite(raw) : raw };
    }),
  );
}

/** FHIR NDJSON text: each line a resource, loaded like a collection entry without fullUrl. */
export function loadItemsOfNdjson(source: string, text: string): LoadInput {
  const { resources, problems } = parseNdjson(text);
  const loaded = collect(
    source,
    resources.map(({ line, resource }) => ({ label: { index: line - 1, line }, raw: asWrite({ resource }) })),
  );
  const unreadable = problems.map(({ line, issues }) => ({ source, entry: { index: line - 1, line }, reason: issues.map((issue) => issue.diagnostics).join('; ') }));
  return { items: loaded.items, refused: [...unreadable, ...loaded.refused].sort((a, b) => a.entry.index - b.entry.index) };
}

/** A collection entry as a write: PUT by id keeps the source's identity; without one, POST. */
function asWrite(entry: JsonObject): JsonObject {
  const resource = entry.resource;
  if (!isObject(resource) || typeof resource.resourceType !== 'string') return entry;
  const url = typeof resource.id === 'string' ? `${resource.resourceType}/${resource.id}` : resource.resourceType;
  return { ...entry, request: { method: typeof resource.id === 'string' ? 'PUT' : 'POST', url } };
}

function collect(source: string, entries: readonly { label: EntryLabel; raw: unknown }[]): LoadInput {
  const items: LoadItem[] = [];
  const refused: Refusal[] = [];
  for (const { label, raw } of entries) {
    try {
      // The id is the chunking's to assign, from the source identity.
      const entry = planEntry(raw, label, () => '');
      if (entry.action === 'create' || entry.action === 'update' || entry.action === 'conditional-update') items.push({ source, entry });
      else refused.push({ source, entry: label, reason: `${entry.action} entries are not loaded; the loader only writes resources` });
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      refused.push({ source, entry: label, reason: error.issues.map((issue) => issue.diagnostics).join('; ') });
    }
  }
  return { items, refused };
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
