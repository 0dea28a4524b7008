import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { idOf, matchIds, resourceOf, type Api } from './api';
import { summarize, type Summary } from './stats';

/** The parameters whose index the stream processor writes, one of each kind. */
export const eventualParams = ['code (token)', 'name (string)', 'date (date)', 'encounter (reference)', '_lastUpdated'] as const;
/**
 * The parameters docs/record-design.md lists as read-your-writes (items written in the create's
 * own transaction). `patient` is there too, but for Observation R4's Patient compartment names
 * `subject` and `performer` only, so the planner may not treat `patient` so: the bench measures
 * both and reports what it finds.
 */
export const immediateParams = ['identifier (system|value)', 'subject (reference)', 'patient (reference)', '_id'] as const;

export interface LagFigure {
  readonly param: string;
  /** As documented (docs/record-design.md); `foundAtFirstSearch` says what the run found. */
  readonly consistency: 'eventual' | 'read-your-writes';
  readonly samples: number;
  /** Creates found by the very first search sent once the create had returned. */
  readonly foundAtFirstSearch: number;
  /** Time from the create's response to the first response that lists the resource (for one found by the first search: that search's latency). */
  readonly lag: Summary;
  readonly timeouts: number;
  readonly searchesPerSample: number;
}

const labSystem = 'urn:dsc:bench:lag';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const letters = () => Array.from(randomBytes(10), (byte) => String.fromCharCode(97 + (byte % 26))).join('');

function observationBody(subject: string, extra: Record<string, unknown> = {}) {
  return {
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }] },
    subject: { reference: subject },
    effectiveDateTime: new Date().toISOString(),
    valueQuantity: { value: 72, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
    ...extra,
  };
}

/** A random instant in the 1970s–1990s, to the second: no other resource shares it. */
function uniqueInstant(): string {
  const from = Date.UTC(1970, 0, 1);
  const to = Date.UTC(1999, 11, 31);
  return new Date(from + Math.floor(Math.random() * ((to - from) / 1000)) * 1000).toISOString().replace('.000Z', 'Z');
}

interface Tally {
  readonly lags: number[];
  first: number;
  timeouts: number;
  searches: number;
}

/** Searches until the answer lists `id`, every `pollMs`, and tallies the time from `created` to that answer. */
async function poll(api: Api, tally: Tally, path: string, id: string, created: number, pollMs: number, timeoutMs: number): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const { json } = await api.get(path);
    tally.searches++;
    const elapsed = performance.now() - created;
    if (matchIds(json).includes(id)) {
      tally.lags.push(elapsed);
      if (attempt === 0) tally.first++;
      return;
    }
    if (elapsed > timeoutMs) {
      tally.timeouts++;
      return;
    }
    await sleep(pollMs);
  }
}

/** Creates one resource for `param` and returns the search that must find it. */
async function createFor(api: Api, param: (typeof eventualParams)[number], subject: string): Promise<{ id: string; created: number; path: string }> {
  const tag = `lag-${randomUUID()}`;
  let body: Record<string, unknown>;
  let path: (id: string, lastUpdated: string) => string;
  switch (param) {
    case 'code (token)':
      body = observationBody(subject, { code: { coding: [{ system: labSystem, code: tag }] } });
      path = () => `/Observation?code=${encodeURIComponent(`${labSystem}|${tag}`)}`;
      break;
    case 'name (string)': {
      const family = `Lag${letters()}`;
      body = { resourceType: 'Patient', name: [{ family, given: ['Bench'] }] };
      path = () => `/Patient?name=${family}`;
      break;
    }
    case 'date (date)': {
      const instant = uniqueInstant();
      body = observationBody(subject, { effectiveDateTime: instant });
      path = () => `/Observation?date=${encodeURIComponent(instant)}`;
      break;
    }
    case 'encounter (reference)':
      body = observationBody(subject, { encounter: { reference: `Encounter/${tag}` } });
      path = () => `/Observation?encounter=Encounter/${tag}`;
      break;
    case '_lastUpdated':
      body = observationBody(subject);
      path = (_, lastUpdated) => `/Observation?_lastUpdated=${encodeURIComponent(`ge${lastUpdated}`)}`;
      break;
  }
  const resource = resourceOf((await api.post(`/${String(body.resourceType)}`, body)).json);
  const created = performance.now();
  return { id: resource.id, created, path: path(resource.id, resource.meta?.lastUpdated ?? '') };
}

/**
 * How long after a create returns a search by each eventually consistent parameter finds it:
 * one create per sample and parameter, then the search every `pollMs` until it lists the
 * resource. Read-your-writes parameters are checked on one more create per sample: all are
 * searched at once as soon as the create returned (the first search must find it), and a miss
 * is polled like the others, so its real lag is known.
 */
export async function indexLagFigures(api: Api, samples: number, pollMs: number, timeoutMs: number, progress: (line: string) => void): Promise<LagFigure[]> {
  const subject = `Patient/${idOf((await api.post('/Patient', { resourceType: 'Patient', name: [{ family: 'Lagbench', given: ['Subject'] }] })).json)}`;
  const tally = (): Tally => ({ lags: [], first: 0, timeouts: 0, searches: 0 });
  const eventual = eventualParams.map((param) => ({ param, tally: tally() }));
  const immediate = immediateParams.map((param) => ({ param, tally: tally() }));

  for (let sample = 0; sample < samples; sample++) {
    for (const { param, tally: figure } of eventual) {
      const { id, created, path } = await createFor(api, param, subject);
      await poll(api, figure, path, id, created, pollMs, timeoutMs);
    }

    // Read-your-writes: a fresh patient, so its compartment holds exactly this Observation. Every
    // parameter is searched at once as soon as the create returned, then polled like the others.
    const patient = idOf((await api.post('/Patient', { resourceType: 'Patient', name: [{ family: 'Rywbench', given: ['Subject'] }] })).json);
    const value = randomUUID();
    const observation = idOf((await api.post('/Observation', observationBody(`Patient/${patient}`, { identifier: [{ system: labSystem, value }] }))).json);
    const created = performance.now();
    const paths: Record<(typeof immediateParams)[number], string> = {
      'identifier (system|value)': `/Observation?identifier=${encodeURIComponent(`${labSystem}|${value}`)}`,
      'subject (reference)': `/Observation?subject=Patient/${patient}`,
      'patient (reference)': `/Observation?patient=Patient/${patient}`,
      _id: `/Observation?_id=${observation}`,
    };
    await Promise.all(immediate.map(({ param, tally: figure }) => poll(api, figure, paths[param], observation, created, pollMs, timeoutMs)));
    if ((sample + 1) % 5 === 0 || sample + 1 === samples) progress(`index lag: ${sample + 1}/${samples} samples per parameter`);
  }

  const figures = (tallies: readonly { param: string; tally: Tally }[], consistency: LagFigure['consistency']) =>
    tallies.map(({ param, tally: figure }) => ({
      param,
      consistency,
      samples,
      foundAtFirstSearch: figure.first,
      lag: summarize(figure.lags),
      timeouts: figure.timeouts,
      searchesPerSample: figure.searches / samples,
    }));
  return [...figures(eventual, 'eventual'), ...figures(immediate, 'read-your-writes')];
}
