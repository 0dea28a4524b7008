/**
 * `npm run bench -- --flag=value …`. Every flag has a default, so `npm run bench` alone is the
 * documented run (docs/performance.md). Unknown flags are refused, so a typo never silently
 * measures something else.
 */
export interface BenchOptions {
  /** Observations in the record at each scaling step, ascending (cumulative: the record only grows). */
  readonly scale: readonly number[];
  /** Sequential requests per operation for the POST/GET Patient latency figures. */
  readonly samples: number;
  /** POST /Patient samples taken with the index processor idle (each waits for it). */
  readonly idleSamples: number;
  /** Concurrent clients for the concurrent GET figure. */
  readonly concurrency: number;
  /** Requests per query and per scale for the scaling figures. */
  readonly searchSamples: number;
  /** Creates per parameter for the index lag figures. */
  readonly lagSamples: number;
  /** Delay between two searches while waiting for a new resource to be indexed. */
  readonly pollMs: number;
  /** A create not found after this long counts as a timeout in the lag figures. */
  readonly lagTimeoutMs: number;
  /** Resources written at once by the in-process seeder. */
  readonly seedConcurrency: number;
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

const flags: Record<string, FlagSpec> = {
  scale: {
    key: 'scale',
    help: 'Observations in the record at each scaling step, ascending',
    parse: (text) => {
      const steps = text.split(',').map((part) => positiveInteger('scale')(part.trim()));
      if (steps.some((step, i) => i > 0 && step <= (steps[i - 1] ?? 0))) throw new Error('--scale must be ascending, e.g. --scale=1000,20000');
      return steps;
    },
  },
  samples: { key: 'samples', help: 'sequential requests per operation for the POST/GET Patient latency', parse: positiveInteger('samples') },
  'idle-samples': { key: 'idleSamples', help: 'POST /Patient samples with the index processor idle', parse: positiveInteger('idle-samples') },
  concurrency: { key: 'concurrency', help: 'concurrent clients for the concurrent GET figure', parse: positiveInteger('concurrency') },
  'search-samples': { key: 'searchSamples', help: 'requests per query and per scale (scaling figures)', parse: positiveInteger('search-samples') },
  'lag-samples': { key: 'lagSamples', help: 'creates per parameter (index lag figures)', parse: positiveInteger('lag-samples') },
  'poll-ms': { key: 'pollMs', help: 'delay between two searches while waiting for the index', parse: positiveInteger('poll-ms') },
  'lag-timeout-ms': { key: 'lagTimeoutMs', help: 'a create not found by then counts as a timeout', parse: positiveInteger('lag-timeout-ms') },
  'seed-concurrency': { key: 'seedConcurrency', help: 'resources written at once by the in-process seeder', parse: positiveInteger('seed-concurrency') },
  out: { key: 'out', help: 'folder for the JSON results', parse: (text) => text },
};

export const defaults: BenchOptions = {
  scale: [1000, 20000],
  // BENCH_SAMPLES is the bench's older knob; the flag wins.
  samples: Number(process.env.BENCH_SAMPLES ?? 300),
  idleSamples: 30,
  concurrency: 8,
  searchSamples: 100,
  lagSamples: 20,
  pollMs: 10,
  lagTimeoutMs: 10_000,
  seedConcurrency: 24,
  out: 'bench/results',
};

export function usage(): string {
  const lines = Object.entries(flags).map(([name, spec]) => {
    const value = defaults[spec.key];
    return `  --${`${name}=${Array.isArray(value) ? value.join(',') : String(value)}`.padEnd(28)} ${spec.help}`;
  });
  return ['Usage: npm run bench -- [flags]   (every flag is optional; shown with its default)', ...lines, `  ${'--help'.padEnd(28)} this text`].join('\n');
}

/** Parses `--name=value` flags; throws with the reason on anything else. */
export function parseOptions(argv: readonly string[]): BenchOptions | 'help' {
  const options: Record<string, unknown> = { ...defaults };
  for (const argument of argv) {
    if (argument === '--help' || argument === '-h') return 'help';
    const [, name = '', value = ''] = /^--([a-z-]+)=(.*)$/.exec(argument) ?? [];
    const spec = Object.hasOwn(flags, name) ? flags[name] : undefined;
    if (!spec) throw new Error(`unknown argument ${JSON.stringify(argument)}\n${usage()}`);
    options[spec.key] = spec.parse(value);
  }
  return options as unknown as BenchOptions;
}
