import { isLosslessNumber, stringifyFhirJson } from '../fhir/json';

type JsonObject = Record<string, unknown>;

/**
 * Whether an update's body says exactly what the current version says: the same JSON, keys in any
 * order, decimals compared as written (`1.50` is not `1.5`), `meta.versionId` and
 * `meta.lastUpdated` aside since the server sets them. Such an update is a no-op.
 */
export function hasSameContent(current: JsonObject, body: JsonObject): boolean {
  return stringifyFhirJson(canonical(contentOf(current))) === stringifyFhirJson(canonical(contentOf(body)));
}

function contentOf(resource: JsonObject): JsonObject {
  const { meta, ...content } = resource;
  if (!isObject(meta)) return content;
  const kept = { ...meta };
  delete kept.versionId;
  delete kept.lastUpdated;
  // A body without meta and a stored version whose meta is only the server's two fields say the same.
  return Object.keys(kept).length > 0 ? { ...content, meta: kept } : content;
}

/** A copy with every object's keys sorted, so that key order does not count. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (!isObject(value) || isLosslessNumber(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, canonical(value[key])]),
  );
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
