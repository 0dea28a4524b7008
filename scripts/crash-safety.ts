import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { localCredentials } from '../local/dynamodb';
import type { StackInfo } from '../local/stack';
import { freePorts, launchStack, waitForStackFile, stopStack } from '../test/support/local-stack-process';
import { signIn } from '../local/sign-in';
import { acknowledgedWritesPresent, formatTable, noOrphanIndexEntries, readTable, transactionsAtomic, versionsContiguous, type CheckRow } from './crash/checks';
import { killTree } from './crash/processes';
import { emptyLedger, writeLoad } from './crash/write-load';
import { FhirClient } from './soak/client';

/**
 * `npm run crash-check [-- --kill-after S --concurrency N --keep]`: the local stack, persisted in a
 * temporary folder, under a write load (creates, updates, transactions of several entries); kill -9
 * of the stack and its emulators mid-load; a persisted restart on the same folder; then the record
 * table read back in full (a Scan: this is a test tool, never a request path) and checked.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

async function physicianClient(info: StackInfo): Promise<FhirClient> {
  const user = info.users.find((candidate) => candidate.roles.includes('physician'));
  if (!user) throw new Error('crash-check: stack.json has no physician');
  return new FhirClient(info.apiUrl, (await signIn(info, user.email, user.password)).accessToken);
}

async function scanRecordTable(info: StackInfo): Promise<Record<string, unknown>[]> {
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: info.dynamoDb.endpoint, region: info.cognito.region, credentials: localCredentials }));
  const items: Record<string, unknown>[] = [];
  for await (const page of paginateScan({ client }, { TableName: info.dynamoDb.tables.record, ConsistentRead: true })) items.push(...(page.Items ?? []));
  return items;
}

export async function crashCheck(options: { killAfterSeconds: number; concurrency: number; keep: boolean }, log: (line: string) => void): Promise<{ rows: CheckRow[]; summary: string }> {
  const localDir = mkdtempSync(path.join(tmpdir(), 'dsc-crash-'));
  const first = launchStack({ ports: await freePorts(), localDir });
  const info = await waitForStackFile(first);
  log(`crash-check: stack up (PID ${first.process.pid}, data in ${localDir}); writing with ${options.concurrency} writers`);

  const ledger = emptyLedger();
  const load = writeLoad(await physicianClient(info), ledger, options.concurrency);
  await new Promise((resolve) => setTimeout(resolve, options.killAfterSeconds * 1000));
  ledger.killSent = true;
  const tree = killTree(first.process.pid as number);
  await Promise.all([load, first.exited]);
  const inFlight = ledger.acknowledged.filter((write) => write.inFlight).length;
  log(`crash-check: kill -9 of ${tree.join(', ')} after ${options.killAfterSeconds} s and ${ledger.requests} requests`);

  // waitForStackFile would take the dead stack's stack.json for a ready one; its lock stays, for the restart to take over.
  rmSync(path.join(localDir, 'stack.json'), { force: true });
  const second = launchStack({ ports: await freePorts(), localDir });
  try {
    const restarted = await waitForStackFile(second);
    const tookOver = /taking over .*lock/.test(second.output());
    log(`crash-check: restarted persisted on the same folder${tookOver ? ', taking over the dead stack\'s lock' : ''}`);
    const table = readTable(await scanRecordTable(restarted));
    const rows = [acknowledgedWritesPresent(table, ledger), transactionsAtomic(table, ledger), versionsContiguous(table), noOrphanIndexEntries(table)];
    const summary =
      `crash-check: ${ledger.requests} requests; ${ledger.acknowledged.length} writes acknowledged (${inFlight} of them answered as the kill was sent); ` +
      `${ledger.transactions.size} transactions sent; ${table.versions.size} resources in the table after restart`;
    return { rows, summary };
  } finally {
    await stopStack(second);
    if (!options.keep) rmSync(localDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { 'kill-after': { type: 'string', default: '6' }, concurrency: { type: 'string', default: '6' }, keep: { type: 'boolean', default: false } },
    strict: true,
  });
  const killAfterSeconds = Number(values['kill-after']);
  const concurrency = Number(values.concurrency);
  if (!(killAfterSeconds > 0 && killAfterSeconds <= 600) || !(Number.isInteger(concurrency) && concurrency >= 1)) {
    throw new Error('usage: npm run crash-check -- [--kill-after <seconds, default 6>] [--concurrency <writers, default 6>] [--keep]');
  }
  const { rows, summary } = await crashCheck({ killAfterSeconds, concurrency, keep: values.keep }, (line) => {
    console.error(line);
  });
  console.log(summary);
  console.log(formatTable(rows));
  const failed = rows.filter((row) => row.failed.length > 0);
  console.log(failed.length === 0 ? 'crash-check: consistent' : `crash-check: INCONSISTENT (${failed.map((row) => row.check).join('; ')})`);
  if (failed.length > 0) process.exitCode = 1;
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(`crash-check: ${(error as Error).message}`);
    process.exitCode = 1;
  });
}
