import { Invalid } from '../fhir/errors';
import { isLosslessNumber } from '../fhir/json';
import { isResourceType } from '../fhir/registry/registry';
import { entryIssue, isBundleLocalUrn, splitRestfulUrl, type EntryLabel, type JsonObject } from './entries';

/**
 * Rewrites the references of a Bundle entry's resource from the fullUrls of other entries to the
 * `Type/id` those entries are stored under (R4 bundle.html#references, http.html#trules), and
 * collects its conditional references (`Practitioner?identifier=…`) for the executor to resolve.
 *
 * Rewritten: every `reference` string at any depth (contained resources and extensions
 * included), and any other string exactly equal to a known fullUrl (an `Attachment.url` or a
 * `uri` pointing at a Binary entry), except an Identifier's or ContactPoint's `value`: that is
 * data about the resource (a document id may well equal its own fullUrl), not a link.
 */

/** Only lookups are needed, so a caller may pass a view computed on demand rather than a copied Map. */
export type Lookup = Pick<ReadonlyMap<string, string>, 'get'>;

export interface ReferenceTargets {
  /** fullUrl → the reference that replaces it, normally `Type/id`. */
  readonly fullUrls: Lookup;
  /** `Type?criteria` → `Type/id`, once the executor has found the one match of each. */
  readonly conditional?: Lookup;
}

export interface RewrittenResource<T> {
  /** A copy where something changed; the input itself is never modified. */
  readonly resource: T;
  /** The fullUrls the resource refers to, each once, in order of first appearance: its dependencies. */
  readonly fullUrls: readonly string[];
  /** The conditional references not in `targets.conditional`, each once: each must resolve to exactly one match. */
  readonly conditional: readonly string[];
}

/**
 * Throws Invalid naming the entry when a `reference` is a `urn:uuid:`/`urn:oid:` that no entry
 * has as fullUrl, or a conditional reference to a type R4 does not define.
 */
export function rewriteReferences<T>(resource: T, targets: ReferenceTargets, entry: EntryLabel): RewrittenResource<T> {
  const fullUrls = new Set<string>();
  const conditional = new Set<string>();
  // A relative reference in an entry with a RESTful fullUrl is relative to that fullUrl's base.
  const base = entry.fullUrl === undefined ? undefined : splitRestfulUrl(entry.fullUrl)?.base;

  const replaceFullUrl = (fullUrl: string): string | undefined => {
    const target = targets.fullUrls.get(fullUrl);
    if (target !== undefined) fullUrls.add(fullUrl);
    return target;
  };

  const visit = (text: string, key: string, holder: JsonObject): string => {
    if (key !== 'reference') {
      if (key === 'value' && typeof holder.system === 'string') return text;
      return replaceFullUrl(text) ?? text;
    }
    const direct = replaceFullUrl(text);
    if (direct !== undefined) return direct;
    if (isBundleLocalUrn(text)) throw new Invalid([entryIssue(entry, `the reference ${text} names no entry of the Bundle`)]);
    const parts = conditionalReferenceParts(text);
    if (parts) {
      if (!isResourceType(parts.resourceType)) throw new Invalid([entryIssue(entry, `the conditional reference ${text} names no R4 resource type`)]);
      const resolved = targets.conditional?.get(text);
      if (resolved !== undefined) return resolved;
      conditional.add(text);
      return text;
    }
    if (base !== undefined && /^[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/.test(text)) return replaceFullUrl(`${base}/${text}`) ?? text;
    return text;
  };

  return { resource: mapValue(resource, '', {}, visit) as T, fullUrls: [...fullUrls], conditional: [...conditional] };
}

/** `Type?criteria` split, or undefined when the reference is not conditional (R4 http.html#trules). */
export function conditionalReferenceParts(reference: string): { resourceType: string; criteria: string } | undefined {
  const match = /^([A-Za-z]+)\?(.+)$/s.exec(reference);
  return match?.[1] && match[2] ? { resourceType: match[1], criteria: match[2] } : undefined;
}

type Visit = (text: string, key: string, holder: JsonObject) => string;

/** Copy on write: unchanged subtrees are shared, so a large resource with few references costs little. */
function mapValue(value: unknown, key: string, holder: JsonObject, visit: Visit): unknown {
  if (typeof value === 'string') return visit(value, key, holder);
  if (Array.isArray(value)) {
    const items = value.map((item: unknown) => mapValue(item, key, holder, visit));
    return items.some((item, index) => item !== value[index]) ? items : value;
  }
  // Lossless numbers are objects too, but leaves.
  if (typeof value !== 'object' || value === null || isLosslessNumber(value)) return value;
  const object = value as JsonObject;
  const entries = Object.entries(object).map(([name, child]): [string, unknown] => [name, mapValue(child, name, object, visit)]);
  // fromEntries defines own properties, so a `__proto__` key stays data.
  return entries.some(([name, child]) => child !== object[name]) ? Object.fromEntries(entries) : object;
}
