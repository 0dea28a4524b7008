import { postTransaction, type LoadTarget, type ServerAnswer } from './client';
import { readInputs, type LoadRefusal } from './inputs';
import { scheduleLoad, splitChunk, type PlannedChunk } from './plan';
import type { LoadProgress } from './progress';

export interface LoadOptions {
  /** Files and folders, in the order they load: support bundles first. */
  readonly paths: readonly string[];
  readonly target: LoadTarget;
  /** Transactions in flight at once, among those whose dependencies are committed. */
  readonly concurrency?: number;
  /** Names the source system, so two systems' equal fullUrls or ids stay two resources. */
  readonly source?: string;
  readonly onProgress?: (progress: LoadProgress) => void;
}

export interface LoadSummary {
  readonly files: number;
  /** Every entry read; an entry repeated word for word in another file counts once. */
  readonly entries: number;
  /** Created (201). */
  readonly loaded: number;
  /** Already present (200): an update that changed nothing, or an `ifNoneExist` that found its match. */
  readonly skipped: number;
  /** Repeats of an entry of another file, loaded once. */
  readonly duplicates: number;
  readonly refused: readonly LoadRefusal[];
  readonly transactions: number;
  readonly seconds: number;
}

export const defaultConcurrency = 4;

/**
 * Loads Bundles and NDJSON into the record: read, chunked into transactions that fit, sent in
 * dependency order with independent ones in parallel. Idempotent and resumable with no
 * checkpoint: ids derive from the source, so sending everything again writes nothing twice.
 */
export async function loadPaths(options: LoadOptions): Promise<LoadSummary> {
  const started = performance.now();
  const inputs = await readInputs(options.paths);
  const schedule = scheduleLoad(inputs.items, options.source === undefined ? {} : { source: options.source });
  const refused: LoadRefusal[] = [...inputs.refused, ...schedule.refused];
  const counts = { loaded: 0, skipped: 0, transactions: 0, entriesDone: refused.length };
  const entries = refused.length + schedule.chunks.reduce((sum, chunk) => sum + chunk.entries.length, 0);
  const chunksLeft = new Map(inputs.files.map((file) => [file, schedule.chunks.filter((chunk) => chunk.files.includes(file)).length]));
  const seconds = () => (performance.now() - started) / 1000;
  const report = (chunk: PlannedChunk) => {
    counts.entriesDone += chunk.entries.length;
    for (const file of chunk.files) chunksLeft.set(file, (chunksLeft.get(file) ?? 1) - 1);
    const filesDone = [...chunksLeft.values()].filter((left) => left <= 0).length;
    options.onProgress?.({ files: inputs.files.length, filesDone, entries, entriesDone: counts.entriesDone, seconds: seconds() });
  };

  /** Commits one chunk, halving it while the server finds it too large; false if any of it was refused. */
  const commit = async (chunk: PlannedChunk): Promise<boolean> => {
    const answer = await postTransaction(options.target, { resourceType: 'Bundle', type: 'transaction', entry: chunk.entries });
    counts.transactions += 1;
    if (answer.status === 413 && chunk.entries.length > 1) {
      const [first, second] = splitChunk(chunk);
      return (await commit(first)) && (await commit(second));
    }
    const statuses = transactionStatuses(answer);
    if (!statuses) {
      refused.push(...refusalsOf(chunk, answer));
      return false;
    }
    statuses.forEach((status, index) => {
      if (status.startsWith('201')) counts.loaded += 1;
      else if (status.startsWith('200')) counts.skipped += 1;
      else refused.push({ position: chunk.positions[index] ?? '?', reason: `the server answered ${status}` });
    });
    return true;
  };

  const slots = semaphore(Math.max(1, options.concurrency ?? defaultConcurrency));
  const committed: Promise<boolean>[] = [];
  for (const chunk of schedule.chunks) {
    // Dependencies are earlier chunks, whose promises exist by now.
    const dependencies = chunk.dependsOn.map((earlier) => committed[earlier] ?? Promise.resolve(false));
    committed.push(
      (async () => {
        const ready = (await Promise.all(dependencies)).every(Boolean);
        const ok = ready ? await slots.run(() => commit(chunk)) : (refused.push(...notSent(chunk)), false);
        report(chunk);
        return ok;
      })(),
    );
  }
  await Promise.all(committed);
  return {
    files: inputs.files.length,
    entries,
    loaded: counts.loaded,
    skipped: counts.skipped,
    duplicates: inputs.duplicates,
    refused,
    transactions: counts.transactions,
    seconds: seconds(),
  };
}

/** The entries' statuses of a transaction-response, or undefined when the transaction was refused. */
function transactionStatuses(answer: ServerAnswer): string[] | undefined {
  if (answer.status !== 200 || !isObject(answer.body) || answer.body.type !== 'transaction-response' || !Array.isArray(answer.body.entry)) return undefined;
  return answer.body.entry.map((entry) => (isObject(entry) && isObject(entry.response) ? String(entry.response.status) : ''));
}

/** A refused transaction: the entry its OperationOutcome names, with its reason, and the rest of the chunk, written with it or not at all. */
function refusalsOf(chunk: PlannedChunk, answer: ServerAnswer): LoadRefusal[] {
  const issues = isObject(answer.body) && Array.isArray(answer.body.issue) ? answer.body.issue.filter(isObject) : [];
  // The server names the entry by its place in the chunk; the refusal names it by its place in the source instead.
  const diagnostics = issues.map((issue) => String(issue.diagnostics ?? issue.code).replace(/^Bundle entry\[\d+\](?: \([^)]*\))?: /, '')).join('; ') || String(answer.body).slice(0, 300);
  const expressions = issues.flatMap((issue): unknown[] => (Array.isArray(issue.expression) ? issue.expression : []));
  const named = new Set(expressions.flatMap((expression) => /^Bundle\.entry\[(\d+)\]/.exec(String(expression))?.[1] ?? []).map(Number));
  const culprits = [...named].filter((index) => index < chunk.entries.length);
  if (culprits.length === 0) return chunk.positions.map((position) => ({ position, reason: `not loaded: its transaction was refused (${answer.status}): ${diagnostics}` }));
  const blamed = culprits.map((index) => chunk.positions[index] ?? '?').join(', ');
  return chunk.positions.map((position, index) =>
    culprits.includes(index) ? { position, reason: `${answer.status}: ${diagnostics}` } : { position, reason: `not loaded: in one transaction with ${blamed}, which was refused` },
  );
}

function notSent(chunk: PlannedChunk): LoadRefusal[] {
  return chunk.positions.map((position) => ({ position, reason: 'not loaded: it refers to entries of a transaction that was refused' }));
}

/** At most `size` tasks at once, started in the order they ask. */
function semaphore(size: number) {
  let running = 0;
  const waiting: (() => void)[] = [];
  return {
    async run<T>(task: () => Promise<T>): Promise<T> {
      // A finishing task hands its slot straight to the next waiting one.
      if (running >= size) await new Promise<void>((resolve) => waiting.push(resolve));
      else running += 1;
      try {
        return await task();
      } finally {
        const next = waiting.shift();
        if (next) next();
        else running -= 1;
      }
    },
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
