import { readdir, readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { loadItemsOfBundle, loadItemsOfNdjson, type LoadItem, type Refusal } from '../../lambdas/bundle/load-entries';
import { FhirError } from '../../lambdas/fhir/errors';
import { parseFhirJson, stringifyFhirJson } from '../../lambdas/fhir/json';

/** Something the load could not take, named where a person finds it: `file#entry[3]`, `file:12`, or the file. */
export interface LoadRefusal {
  readonly position: string;
  readonly reason: string;
}

export interface LoadInputs {
  /** The files read, in the order given; a folder's files sorted by name, recursively. */
  readonly files: readonly string[];
  readonly items: readonly LoadItem[];
  readonly refused: readonly LoadRefusal[];
  /** Entries repeated word for word in another file (Synthea repeats shared Organizations and Practitioners): loaded once. */
  readonly duplicates: number;
}

const ndjsonExtensions = new Set(['.ndjson', '.jsonl']);
const loadableExtensions = new Set(['.json', ...ndjsonExtensions]);

/** Reads Bundles (`.json`) and NDJSON (`.ndjson`, `.jsonl`) from files and folders, in the order given. */
export async function readInputs(paths: readonly string[]): Promise<LoadInputs> {
  const files = (await Promise.all(paths.map(filesUnder))).flat();
  const items: LoadItem[] = [];
  const refused: LoadRefusal[] = [];
  for (const file of files) {
    try {
      const text = await readFile(file, 'utf8');
      const input = ndjsonExtensions.has(path.extname(file).toLowerCase()) ? loadItemsOfNdjson(file, text) : loadItemsOfBundle(file, parseFhirJson(text));
      items.push(...input.items);
      refused.push(...input.refused.map(refusalOf));
    } catch (error) {
      if (!(error instanceof FhirError)) throw error;
      refused.push({ position: file, reason: error.issues.map((issue) => issue.diagnostics).join('; ') });
    }
  }
  const unique = withoutRepeats(items);
  return { files, items: unique, refused, duplicates: items.length - unique.length };
}

export function positionOf(source: string, entry: Refusal['entry']): string {
  return entry.line === undefined ? `${source}#entry[${entry.index}]` : `${source}:${entry.line}`;
}

function refusalOf(refusal: Refusal): LoadRefusal {
  return { position: positionOf(refusal.source, refusal.entry), reason: refusal.reason };
}

async function filesUnder(target: string): Promise<string[]> {
  const info = await stat(target).catch(() => undefined);
  if (!info) throw new LoadError(`${target}: no such file or folder`);
  if (!info.isDirectory()) return [target];
  const names = (await readdir(target)).sort();
  const nested = await Promise.all(
    names.map(async (name) => {
      const child = path.join(target, name);
      if ((await stat(child)).isDirectory()) return filesUnder(child);
      return loadableExtensions.has(path.extname(name).toLowerCase()) ? [child] : [];
    }),
  );
  return nested.flat();
}

/**
 * Drops an entry that repeats an earlier one with the same identity (fullUrl, or `Type/id` of a
 * PUT) and the same request and content: the chunking would refuse it as a second resource with
 * that identity, though it is the same one. A repeat with other content is kept, and refused there.
 */
function withoutRepeats(items: readonly LoadItem[]): LoadItem[] {
  const seen = new Set<string>();
  return items.filter(({ entry }) => {
    const identity = entry.fullUrl ?? (entry.action === 'update' ? `${entry.resourceType}/${entry.id}` : undefined);
    if (identity === undefined) return true;
    const key = `${identity} ${entry.action} ${'ifNoneExist' in entry ? String(entry.ifNoneExist) : ''} ${stringifyFhirJson(entry.resource)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** A problem with the command itself (no such file, no stack, no token): one line, exit 2. */
export class LoadError extends Error {}
