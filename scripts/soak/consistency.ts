import type { FhirClient } from './client';
import type { Ledger, TrackedResource } from './ledger';

/** The journal entry's extension that names the request it records (lambdas/audit/audit-event.ts). */
const requestIdExtension = 'urn:dsc:audit:request-id';

interface Page {
  readonly entry?: readonly { readonly resource?: { readonly meta?: { readonly versionId?: string }; readonly extension?: readonly { url: string; valueString?: string }[] } }[];
  readonly link?: readonly { readonly relation: string; readonly url: string }[];
}

export interface ConsistencyResult {
  readonly resources: number;
  readonly subjectsJournaled: number;
  readonly journalEntriesExpected: number;
  readonly problems: readonly string[];
}

/** A history must hold versions 1..n, each once, n being the writes acknowledged; the current version must be n. */
export function historyProblems(resource: TrackedResource, history: readonly number[], current: number | undefined): string[] {
  const reference = `${resource.resourceType}/${resource.id}`;
  const problems: string[] = [];
  if (current === undefined) problems.push(`${reference} is not readable`);
  else if (current !== resource.writes) problems.push(`${reference} is at version ${current}, after ${resource.writes} acknowledged writes`);
  const sorted = [...history].sort((a, b) => a - b);
  const expected = Array.from({ length: resource.writes }, (_, i) => i + 1);
  if (sorted.join(',') !== expected.join(',')) problems.push(`${reference} history holds versions [${sorted.join(', ')}], expected 1..${resource.writes}`);
  return problems;
}

/** Every request expected under a subject must have its entry; entries the soak did not make (the demo loader's, say) are no problem. */
export function journalProblems(subject: string, expected: ReadonlyMap<string, string>, found: ReadonlySet<string>): string[] {
  return [...expected].filter(([requestId]) => !found.has(requestId)).map(([requestId, operation]) => `${subject}: no journal entry for ${operation} (request ${requestId})`);
}

/** Reads back everything the soak made: each resource, its history, and the journal of each subject it touched. */
export async function checkConsistency(ledger: Ledger, clients: { physician: FhirClient; privacyOfficer: FhirClient }, concurrency: number): Promise<ConsistencyResult> {
  const problems: string[] = [];
  await eachAtMost(concurrency, [...ledger.resources.values()], async (resource) => {
    const path = `/${resource.resourceType}/${resource.id}`;
    const read = await clients.physician.send('GET', path);
    const current = read.status === 200 ? Number((read.body as { meta?: { versionId?: string } }).meta?.versionId) : undefined;
    const pages = await allPages(clients.physician, `${path}/_history?_count=100`);
    const history = pages.flatMap((page) => (page.entry ?? []).map((entry) => Number(entry.resource?.meta?.versionId)));
    problems.push(...historyProblems(resource, history, current));
  });
  let journalEntriesExpected = 0;
  await eachAtMost(concurrency, [...ledger.journalExpected], async ([subject, expected]) => {
    journalEntriesExpected += expected.size;
    const pages = await allPages(clients.privacyOfficer, `/AuditEvent?entity=${encodeURIComponent(subject)}&_count=100`);
    const found = new Set(pages.flatMap((page) => (page.entry ?? []).flatMap((entry) => entry.resource?.extension?.filter((e) => e.url === requestIdExtension).map((e) => e.valueString ?? '') ?? [])));
    problems.push(...journalProblems(subject, expected, found));
  });
  return { resources: ledger.resources.size, subjectsJournaled: ledger.journalExpected.size, journalEntriesExpected, problems };
}

/** Follows a searchset's `next` links; a page that is not a 200 is an error, not an empty result. */
async function allPages(client: FhirClient, path: string): Promise<Page[]> {
  const pages: Page[] = [];
  for (let next: string | undefined = path; next !== undefined; ) {
    const answer = await client.send('GET', next);
    if (answer.status !== 200) throw new Error(`soak: GET ${next} answered ${answer.status} during the consistency check`);
    const page = answer.body as Page;
    pages.push(page);
    const url = page.link?.find((link) => link.relation === 'next')?.url;
    // The client adds its own base URL: keep the link's path and query only.
    const parsed = url === undefined ? undefined : new URL(url, 'http://base.invalid');
    next = parsed === undefined ? undefined : `${parsed.pathname}${parsed.search}`;
  }
  return pages;
}

export async function eachAtMost<T>(concurrency: number, items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}
