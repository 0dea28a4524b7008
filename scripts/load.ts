import { parseArgs } from 'node:util';
import { LoadError } from './loader/inputs';
import { defaultConcurrency, loadPaths, type LoadSummary } from './loader/load';
import { progressPrinter } from './loader/progress';
import { resolveTarget } from './loader/target';

/**
 * `npm run load -- [--url <base> --token <t>] [--concurrency n] [--source name] <files or folders>`:
 * loads FHIR Bundles and NDJSON into the record (docs/bundles.md, "The loader"). Exit status 0 when
 * everything loaded or was already present, 1 when anything was refused, 2 when the load could not run.
 */

const usage = 'usage: npm run load -- [--url <FHIR base> --token <access token>] [--concurrency <n>] [--source <system name>] <files or folders>…';
const maxRefusalsShown = 50;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { url: { type: 'string' }, token: { type: 'string' }, concurrency: { type: 'string' }, source: { type: 'string' }, help: { type: 'boolean' } },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  if (positionals.length === 0) throw new LoadError(usage);
  const concurrency = values.concurrency === undefined ? defaultConcurrency : Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new LoadError(`--concurrency must be a whole number from 1, not ${values.concurrency}`);
  const target = await resolveTarget({ ...(values.url === undefined ? {} : { url: values.url }), ...(values.token === undefined ? {} : { token: values.token }) });
  const progress = progressPrinter();
  const summary = await loadPaths({
    paths: positionals,
    target,
    concurrency,
    ...(values.source === undefined ? {} : { source: values.source }),
    onProgress: (state) => {
      progress.show(state);
    },
  });
  progress.end();
  printSummary(summary);
  return summary.refused.length > 0 ? 1 : 0;
}

function printSummary(summary: LoadSummary): void {
  const rate = summary.seconds > 0 ? Math.round((summary.loaded + summary.skipped) / summary.seconds) : 0;
  console.log(
    `loaded ${summary.loaded}, already present ${summary.skipped}, refused ${summary.refused.length}` +
      ` (${summary.files} files, ${summary.entries} entries${summary.duplicates > 0 ? ` and ${summary.duplicates} repeated across files` : ''},` +
      ` ${summary.transactions} transactions, ${summary.seconds.toFixed(1)} s, ${rate} resources/s)`,
  );
  for (const { position, reason } of summary.refused.slice(0, maxRefusalsShown)) console.log(`refused ${position}: ${reason}`);
  if (summary.refused.length > maxRefusalsShown) console.log(`… and ${summary.refused.length - maxRefusalsShown} more refused`);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (!(error instanceof LoadError || (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')))) throw error;
    console.error(`load: ${error.message}`);
    process.exit(2);
  },
);
