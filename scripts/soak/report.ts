import { readFileSync } from 'node:fs';
import { round, summarize, type Summary } from '../../bench/stats';
import type { ConsistencyResult } from './consistency';
import type { Outcome } from './ledger';

export interface MemoryFigures {
  readonly startMb: number;
  readonly endMb: number;
  readonly peakMb: number;
}

export interface SoakSummary {
  readonly requests: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly byClass: Record<'2xx' | '3xx' | '4xx' | '5xx', number>;
  readonly unexpected: readonly Outcome[];
  readonly transportErrors: number;
  readonly latency: Summary;
  readonly byOperation: readonly { readonly operation: string; readonly latency: Summary; readonly statuses: Record<string, number> }[];
}

export function summarizeRun(outcomes: readonly Outcome[], transportErrors: number, seconds: number): SoakSummary {
  const byClass = { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 };
  for (const outcome of outcomes) {
    const statusClass = `${Math.floor(outcome.status / 100)}xx`;
    if (statusClass in byClass) byClass[statusClass as keyof typeof byClass] += 1;
  }
  const operations = [...new Set(outcomes.map((outcome) => outcome.operation))].sort();
  return {
    requests: outcomes.length,
    seconds,
    perSecond: seconds > 0 ? outcomes.length / seconds : 0,
    byClass,
    unexpected: outcomes.filter((outcome) => outcome.unexpected),
    transportErrors,
    latency: summarize(outcomes.map((outcome) => outcome.ms)),
    byOperation: operations.map((operation) => {
      const mine = outcomes.filter((outcome) => outcome.operation === operation);
      const statuses: Record<string, number> = {};
      for (const outcome of mine) statuses[outcome.status] = (statuses[outcome.status] ?? 0) + 1;
      return { operation, latency: summarize(mine.map((outcome) => outcome.ms)), statuses };
    }),
  };
}

/** Why the run failed, if it did: any 5xx, a status the operation does not allow, a lost connection, an inconsistency. */
export function failures(summary: SoakSummary, consistency: ConsistencyResult): string[] {
  return [
    ...(summary.byClass['5xx'] > 0 ? [`${summary.byClass['5xx']} answers were 5xx`] : []),
    ...(summary.unexpected.length > 0 ? [`${summary.unexpected.length} answers had a status their operation does not allow`] : []),
    ...(summary.transportErrors > 0 ? [`${summary.transportErrors} requests got no HTTP answer`] : []),
    ...(consistency.problems.length > 0 ? [`${consistency.problems.length} consistency problems`] : []),
  ];
}

const percent = (part: number, whole: number) => (whole === 0 ? '0%' : `${round((100 * part) / whole, 2)}%`);
const ms = (value: number) => `${round(value, 1)} ms`;

export function formatReport(summary: SoakSummary, memory: MemoryFigures | undefined, consistency: ConsistencyResult, concurrency: number): string {
  const { byClass, requests } = summary;
  const growth = memory ? memory.endMb - memory.startMb : 0;
  const lines = [
    `soak: ${requests} requests in ${round(summary.seconds, 1)} s (${round(summary.perSecond, 1)}/s) at concurrency ${concurrency}`,
    `  status      2xx ${byClass['2xx']} (${percent(byClass['2xx'], requests)})   3xx ${byClass['3xx']}   4xx ${byClass['4xx']} (${percent(byClass['4xx'], requests)})   5xx ${byClass['5xx']} (${percent(byClass['5xx'], requests)})`,
    `  unexpected  ${summary.unexpected.length} answers outside what their operation allows; ${summary.transportErrors} requests without an answer`,
    `  latency     p50 ${ms(summary.latency.p50)}   p95 ${ms(summary.latency.p95)}   p99 ${ms(summary.latency.p99)}   max ${ms(summary.latency.max)}`,
    memory
      ? `  gateway RSS ${round(memory.startMb)} MB at start, ${round(memory.endMb)} MB at end (${growth >= 0 ? '+' : ''}${round(growth)} MB, ${percent(growth, memory.startMb)}), peak ${round(memory.peakMb)} MB`
      : '  gateway RSS not measured (no /proc, or no PID for the running stack)',
    '  by operation:',
    ...summary.byOperation.map(
      ({ operation, latency, statuses }) =>
        `    ${operation.padEnd(38)} ${String(latency.n).padStart(6)}   p50 ${ms(latency.p50).padStart(9)}   p95 ${ms(latency.p95).padStart(9)}   ${Object.entries(statuses)
          .map(([status, count]) => `${status}×${count}`)
          .join(' ')}`,
    ),
    `  consistency ${consistency.resources} resources read back with their histories; ${consistency.journalEntriesExpected} journal entries looked up under ${consistency.subjectsJournaled} subjects: ${consistency.problems.length === 0 ? 'all present and complete' : `${consistency.problems.length} problems`}`,
    ...consistency.problems.slice(0, 20).map((problem) => `    - ${problem}`),
    ...summary.unexpected.slice(0, 10).map((outcome) => `    - unexpected ${outcome.status} on ${outcome.operation}`),
  ];
  return lines.join('\n');
}

/** Resident set size of a process in MB (VmRSS of /proc/<pid>/status), or undefined where there is no /proc. */
export function residentMb(pid: number): number | undefined {
  try {
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}
