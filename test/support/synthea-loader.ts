import { randomUUID } from 'node:crypto';
import type { SyntheaBundle } from './shared-data';

/**
 * Loads a Synthea transaction Bundle entry by entry, for a server without a transaction endpoint.
 *
 * Every entry is a POST with a `urn:uuid:` fullUrl, and other entries refer to it by that urn.
 * The loader gives each entry a fresh id of its own choosing and writes it with PUT (update as
 * create), so every target's `Type/id` is known before anything is sent: every `urn:uuid:`
 * reference, wherever it sits (contained resources and extensions included), is rewritten up
 * front. The writes still follow the dependencies, a resource only once everything it refers to
 * is stored, so no stored reference ever dangles, whatever order the bundle lists its entries in.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface PlannedResource {
  /** `Type/id` the resource is stored under. */
  readonly reference: string;
  /** The entry's resource with its new id and every `urn:uuid:` reference rewritten to `Type/id`. */
  readonly resource: JsonObject & { readonly resourceType: string; readonly id: string };
  /** `Type/id` of the other entries it refers to. */
  readonly dependsOn: ReadonlySet<string>;
}

/** Assigns ids and rewrites references; throws on a `urn:uuid:` that names no entry of the bundle. */
export function planLoad(bundle: SyntheaBundle, newId: () => string = randomUUID): PlannedResource[] {
  const referenceOf = new Map<string, string>();
  for (const { fullUrl, resource } of bundle.entries) {
    if (!fullUrl?.startsWith('urn:uuid:')) throw new Error(`${bundle.file}: an entry without a urn:uuid fullUrl (${String(fullUrl)})`);
    referenceOf.set(fullUrl, `${String(resource.resourceType)}/${newId()}`);
  }
  return bundle.entries.map(({ fullUrl, resource }) => {
    const reference = referenceOf.get(fullUrl!)!;
    const dependsOn = new Set<string>();
    const rewrite = (value: Json): Json => {
      if (typeof value === 'string') {
        if (!value.startsWith('urn:uuid:')) return value;
        const target = referenceOf.get(value);
        if (!target) throw new Error(`${bundle.file}: ${reference} refers to ${value}, which no entry has as fullUrl`);
        if (target !== reference) dependsOn.add(target);
        return target;
      }
      if (Array.isArray(value)) return value.map(rewrite);
      if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, rewrite(child)]));
      return value;
    };
    const rewritten = rewrite(resource as JsonObject) as JsonObject;
    const id = reference.slice(reference.indexOf('/') + 1);
    return { reference, resource: { ...rewritten, resourceType: String(resource.resourceType), id }, dependsOn };
  });
}

export interface LoadFailure {
  readonly reference: string;
  readonly status: number;
  readonly body: string;
}

/**
 * Writes the planned resources with at most `concurrency` requests in flight, each only once its
 * dependencies are written, in bundle order otherwise. `write` answers the HTTP status and body.
 * A resource whose dependency failed is not sent, and is reported with status 0.
 */
export async function loadInDependencyOrder(
  planned: readonly PlannedResource[],
  write: (resource: PlannedResource) => Promise<{ status: number; body: string }>,
  options: { concurrency: number; expectedStatus: number },
): Promise<LoadFailure[]> {
  const done = new Set<string>();
  const failed = new Map<string, LoadFailure>();
  const pending = [...planned];
  const known = new Set(planned.map((item) => item.reference));
  for (const item of planned) {
    for (const target of item.dependsOn) if (!known.has(target)) throw new Error(`${item.reference} depends on ${target}, which is not planned`);
  }
  let inFlight = 0;
  let wake: () => void = () => undefined;

  const ready = () => pending.findIndex((item) => [...item.dependsOn].every((target) => done.has(target) || failed.has(target)));

  await new Promise<void>((resolve, reject) => {
    const pump = () => {
      while (inFlight < options.concurrency) {
        const index = ready();
        if (index < 0) break;
        const [item] = pending.splice(index, 1);
        const blocked = [...item!.dependsOn].find((target) => failed.has(target));
        if (blocked) {
          failed.set(item!.reference, { reference: item!.reference, status: 0, body: `not sent: ${blocked} failed` });
          continue;
        }
        inFlight++;
        write(item!).then(
          ({ status, body }) => {
            inFlight--;
            if (status === options.expectedStatus) done.add(item!.reference);
            else failed.set(item!.reference, { reference: item!.reference, status, body: body.slice(0, 500) });
            wake();
          },
          (error: unknown) => reject(error instanceof Error ? error : new Error(String(error))),
        );
      }
      if (pending.length === 0 && inFlight === 0) resolve();
      else if (inFlight === 0) reject(new Error(`circular references among ${pending.map((item) => item.reference).join(', ')}`));
    };
    wake = pump;
    pump();
  });
  return [...failed.values()];
}
