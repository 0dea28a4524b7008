import { queryText } from '../lambdas/handlers/responses';
import type { Api } from './api';
import { metered } from './consumed-capacity';
import type { MeteredServices } from './in-process';
import { mean, present, summarize, type Summary } from './stats';
import { loinc, observationCodes, patientId, patientsFor } from './synthea';

export const scaleQueries = ['search by patient', 'search by code and date', '$everything page', '_lastUpdated listing page'] as const;
export type ScaleQueryName = (typeof scaleQueries)[number];

interface Variant {
  readonly path: string;
  readonly run: (m: MeteredServices) => Promise<number>;
}

/** Unmeasured requests per query before each scale's measured ones. */
const warmUp = 30;

export interface ScalePoint {
  readonly query: ScaleQueryName;
  readonly example: string;
  readonly observations: number;
  readonly latency: Summary;
  readonly rcu: number;
  readonly wcu: number;
  readonly auditWcu: number;
  readonly requests: number;
  readonly rcuMax: number;
  readonly results: number;
}

/**
 * The request of sample `s` of each query. Only patients that exist at the smallest scale are
 * used, so every scale answers exactly the same requests; each patient's record is the same at
 * every scale (100 Observations, 10 Encounters), while the table, the code and date index
 * partitions and the type's listing grow with N.
 */
function variant(query: ScaleQueryName, s: number, smallestScale: number): Variant {
  const patients = Math.max(1, Math.min(10, patientsFor(smallestScale)));
  const subject = patientId(s % patients);
  const search = (type: 'Observation', params: [string, string][]) => ({
    path: `/${type}?${new URLSearchParams(params).toString()}`,
    run: async (m: MeteredServices) => (await m.services.search.search(m.ctx, type, params, { lenient: false, query: queryText(params) })).matches.length,
  });
  switch (query) {
    case 'search by patient':
      return search('Observation', [['patient', `Patient/${subject}`]]);
    case 'search by code and date': {
      // 10 codes × 5 lower bounds (2016–2020: 55–90 % of a code's Observations match), so the
      // mean cost is over 50 distinct requests, and every page is full at 1,000 Observations too.
      const { code } = present(observationCodes[s % observationCodes.length], 'an observation code');
      const since = 2016 + (Math.floor(s / observationCodes.length) % 5);
      return search('Observation', [['code', `${loinc}|${code}`], ['date', `ge${since}-01-01`]]);
    }
    case '_lastUpdated listing page':
      return search('Observation', [['_sort', '-_lastUpdated'], ['_count', '50']]);
    case '$everything page':
      return {
        path: `/Patient/${subject}/$everything?_count=50`,
        run: async (m) => (await m.services.search.everything(m.ctx, subject, [['_count', '50']], { lenient: false, query: '_count=50' })).matches.length,
      };
  }
}

/**
 * Latency through the API, and capacity per request in-process, for each query at the record's
 * current size. The HTTP requests of the four queries are interleaved, so a pause of the JVM or a
 * busy core weighs on all of them alike.
 */
export async function measureScale(api: Api, m: MeteredServices, observations: number, smallestScale: number, samples: number, progress: (line: string) => void): Promise<ScalePoint[]> {
  const queries = scaleQueries.map((query) => ({ query, variants: Array.from({ length: samples }, (_, s) => variant(query, s, smallestScale)), times: [] as number[] }));
  const pathOf = (variants: readonly Variant[], s: number) => present(variants[s % variants.length], 'a request').path;
  // Warm-up: the first searches of a run also warm the read function's JIT and DynamoDB Local's.
  for (let s = 0; s < warmUp; s++) for (const { variants } of queries) await api.get(pathOf(variants, s));
  for (let s = 0; s < samples; s++) {
    for (const { variants, times } of queries) times.push((await api.get(pathOf(variants, s))).ms);
  }
  const points: ScalePoint[] = [];
  for (const { query, variants, times } of queries) {
    const spent: { rcu: number; wcu: number; audit: number; requests: number; results: number }[] = [];
    for (const v of variants) {
      const { result, spent: reading } = await metered(m.meter, () => v.run(m));
      spent.push({ rcu: reading.read, wcu: reading.write, audit: reading.byTable[m.tables.audit]?.write ?? 0, requests: reading.requests, results: result });
    }
    const point: ScalePoint = {
      query,
      example: pathOf(variants, 0),
      observations,
      latency: summarize(times),
      rcu: mean(spent.map((entry) => entry.rcu)),
      wcu: mean(spent.map((entry) => entry.wcu)),
      auditWcu: mean(spent.map((entry) => entry.audit)),
      requests: mean(spent.map((entry) => entry.requests)),
      rcuMax: Math.max(...spent.map((entry) => entry.rcu)),
      results: mean(spent.map((entry) => entry.results)),
    };
    progress(`N=${observations}: ${query}: p50 ${point.latency.p50.toFixed(1)} ms, p95 ${point.latency.p95.toFixed(1)} ms, ${point.rcu.toFixed(1)} RCU/request, ${point.results.toFixed(1)} results`);
    points.push(point);
  }
  return points;
}
