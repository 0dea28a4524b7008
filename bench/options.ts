/**
 * `npm run bench -- --flag=value …`. Every flag has a default, so `npm run bench` alone is the
 * documented run (docs/performance.md). Unknown flags are refused, so a typo never silently
 * measures something else.
 */
export const sections = ['cold-start', 'latency', 'capacity', 'scaling', 'lag', 'peer', 'load', 'cost'] as const;
export type Section = (typeof sections)[number];

export interface BenchOptions {
  /** Observations in the record at each scaling step, ascending (cumulative: the record only grows). */
  readonly scale: readonly number[];
  /** Requests per operation and concurrency for the latency figures, and raw replays per operation. */
  readonly samples: number;
  /** Concurrent clients of the latency figures, one column each. */
  readonly concurrency: readonly number[];
  /** Requests per query and per scale for the scaling figures. */
  readonly searchSamples: number;
  /** Creates per parameter for the index lag figures. */
  readonly lagSamples: number;
  /** Delay between two searches while waiting for a new resource to be indexed. */
  readonly pollMs: number;
  /** A create not found after this long counts as a timeout in the lag figures. */
  readonly lagTimeoutMs: number;
  /** Resources built at once by the seeder. */
  readonly seedConcurrency: number;
  /** Fresh processes per function for the cold start figures (median). */
  readonly coldRuns: number;
  /** Requests per interaction against the peer (FHIR Works on AWS persistence). */
  readonly peerSamples: number;
  /** Sections left out of this run. */
  readonly skip: readonly Section[];
  /** Folder for the JSON results. */
  readonly out: string;
}

interface FlagSpec {
  readonly key: keyof BenchOptions;
  readonly help: string;
  readonly parse: (text: string) => BenchOptions[keyof BenchOptions];
}

const positiveInteger = (name: string) => (text: string) => {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} takes a whole number of at least 1, not ${JSON.stringify(text)}`);
  return value;
};

const ascendingList = (name: string) => (text: string) => {
  const steps = text.split(',').map((part) => positiveInteger(name)(part.trim()));
  if (steps.some((step, i) => i > 0 && step <= (steps[i - 1] ?? 0))) throw new Error(`--${name} must be ascending, e.g. --${name}=1000,10000`);
  return steps;
};

const flags: Record<string, FlagSpec> = {
  scale: { key: 'scale', help: 'Observations in the record at each scaling step, ascending', parse: ascendingList('scale') },
  samples: { key: 'samples', help: 'requests per operation and concurrency (latency), and raw DynamoDB replays', parse: positiveInteger('samples') },
  concurrency: { key: 'concurrency', help: 'concurrent clients of the latency figures, ascending', parse: ascendingList('concurrency') },
  'search-samples': { key: 'searchSamples', help: 'requests per query and per scale (scaling figures)', parse: positiveInteger('search-samples') },
  'lag-samples': { key: 'lagSamples', help: 'creates per parameter (index lag figures)', parse: positiveInteger('lag-samples') },
  'poll-ms': { key: 'pollMs', help: 'delay between two searches while waiting for the index', parse: positiveInteger('poll-ms') },
  'lag-timeout-ms': { key: 'lagTimeoutMs', help: 'a create not found by then counts as a timeout', parse: positiveInteger('lag-timeout-ms') },
  'seed-concurrency': { key: 'seedConcurrency', help: 'resources built at once by the seeder', parse: positiveInteger('seed-concurrency') },
  'cold-runs': { key: 'coldRuns', help: 'fresh processes per function (cold start median)', parse: positiveInteger('cold-runs') },
  'peer-samples': { key: 'peerSamples', help: 'requests per interaction against FHIR Works on AWS persistence', parse: positiveInteger('peer-samples') },
  skip: {
    key: 'skip',
    help: `sections to leave out: ${sections.join(',')}`,
    parse: (text) => {
      const names = text.split(',').filter(Boolean);
      const unknown = names.filter((name) => !(sections as readonly string[]).includes(name));
      if (unknown.length > 0) throw new Error(`--skip knows ${sections.join(', ')}; not ${unknown.join(', ')}`);
      return names as Section[];
    },
  },
  out: { key: 'out', help: 'folder for the JSON results', parse: (text) => text },
};

export const defaults: BenchOptions = {
  scale: [1000, 10000, 100000],
  // BENCH_SAMPLES is the bench's older knob; the flag wins.
  samples: Number(process.env.BENCH_SAMPLES ?? 200),
  concurrency: [1, 8, 32],
  searchSamples: 100,
  lagSamples: 10,
  pollMs: 10,
  lagTimeoutMs: 10_000,
  seedConcurrency: 24,
  coldRuns: 10,
  peerSamples: 100,
  skip: [],
  out: 'bench/results',
};

export function usage(): string {
  const lines = Object.entries(flags).map(([name, spec]) => {
    const value = defaults[spec.key];
    return `  --${`${name}=${Array.isArray(value) ? value.join(',') : String(value)}`.padEnd(30)} ${spec.help}`;
  });
  return ['Usage: npm run bench -- [flags]   (every flag is optional; shown with its default)', ...lines, `  ${'--help'.padEnd(32)} this text`].join('\n');
}

/** Parses `--name=value` or `--name value` flags; throws with the reason on anything else. */
export function parseOptions(argv: readonly string[]): BenchOptions | 'help' {
  const options: Record<string, unknown> = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const argument = argv[i] ?? '';
    if (argument === '--help' || argument === '-h') return 'help';
    const [, name = '', inline] = /^--([a-z-]+)(?:=(.*))?$/.exec(argument) ?? [];
    const spec = Object.hasOwn(flags, name) ? flags[name] : undefined;
    const value = inline ?? argv[++i];
    if (!spec || value === undefined) throw new Error(`unknown or incomplete argument ${JSON.stringify(argument)}\n${usage()}`);
    options[spec.key] = spec.parse(value);
  }
  return options as unknown as BenchOptions;
}
