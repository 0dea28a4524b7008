import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CognitoIdentityProviderClient, InitiateAuthCommand } from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { DynamoDbAccessJournal } from '../lambdas/audit/dynamodb-access-journal';
import { validateResource } from '../lambdas/fhir/validation';
import { RecordInteractions, type RequestContext } from '../lambdas/record/interactions';
import { DynamoDbRecordStore } from '../lambdas/store/dynamodb-record-store';
import { freePort } from '../local/ports';
import { startLocalStack, type StackInfo } from '../local/stack';
import { meterCapacity } from './consumed-capacity';

/**
 * `npm run bench`: boots the local stack in memory and measures, per API operation, latency
 * through the local gateway (sequential and concurrent), the DynamoDB capacity units it spends,
 * and the memory of the process hosting the handlers. Targets are checked at the end; a miss
 * exits 1. Latency here is a local, single-machine figure, not a prediction for AWS.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const samples = Number(process.env.BENCH_SAMPLES ?? 300);
const concurrency = 8;

const targets = {
  'create p95 (ms)': 100,
  'read p95 (ms)': 50,
  // One transaction, and transactions cost double: the version item (≤ 1 KB, 2 WCU) and its
  // journal entry (an AuditEvent of 1–2 KB, 4 WCU).
  'create WCU': 6,
  'create RCU': 0,
  'read RCU': 1, // one consistent Query of at most 4 KB: cost does not grow with the table
  'read WCU': 2, // the journal entry (an AuditEvent of 1–2 KB)
  'handler process RSS (MB)': 400,
};

const patient = {
  resourceType: 'Patient',
  identifier: [{ system: 'urn:dsc:bench:mrn', value: 'BENCH-0001' }],
  name: [{ use: 'official', family: 'Bergeron', given: ['Anne-Marie', 'Josée'] }],
  telecom: [{ system: 'phone', value: '514-555-0199', use: 'home' }],
  gender: 'female',
  birthDate: '1967-08-21',
  address: [{ line: ['1234 rue Sainte-Catherine O'], city: 'Montréal', state: 'QC', postalCode: 'H3G 1P1', country: 'CA' }],
  communication: [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code: 'fr-CA' }] }, preferred: true }],
};

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Runs one request, records its time to the last body byte, and returns the body text. */
async function timed(times: number[], action: () => Promise<Response>): Promise<string> {
  const start = performance.now();
  const response = await action();
  const body = await response.text();
  times.push(performance.now() - start);
  if (!response.ok) throw new Error(`HTTP ${response.status} during the bench: ${body}`);
  return body;
}

async function accessToken(info: StackInfo): Promise<string> {
  const user = info.users.find((candidate) => candidate.roles.includes('physician'))!;
  const cognito = new CognitoIdentityProviderClient({ endpoint: info.cognito.endpoint, region: info.cognito.region, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const result = await cognito.send(
    new InitiateAuthCommand({ AuthFlow: 'USER_PASSWORD_AUTH', ClientId: info.cognito.clientId, AuthParameters: { USERNAME: user.email, PASSWORD: user.password } }),
  );
  return result.AuthenticationResult!.AccessToken!;
}

async function httpLatency(info: StackInfo, token: string) {
  const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/fhir+json' };
  const create = () => fetch(`${info.apiUrl}/Patient`, { method: 'POST', headers, body: JSON.stringify(patient) });
  const read = (id: string) => fetch(`${info.apiUrl}/Patient/${id}`, { headers });

  for (let i = 0; i < 20; i++) await timed([], create); // warm-up: module caches, JIT, connections
  const createTimes: number[] = [];
  const ids: string[] = [];
  for (let i = 0; i < samples; i++) ids.push((JSON.parse(await timed(createTimes, create)) as { id: string }).id);
  const readTimes: number[] = [];
  for (let i = 0; i < samples; i++) await timed(readTimes, () => read(ids[i % ids.length]));

  const concurrentTimes: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let i = worker; i < samples; i += concurrency) await timed(concurrentTimes, () => read(ids[i]));
    }),
  );
  const readsPerSecond = samples / ((performance.now() - started) / 1000);
  return { createTimes, readTimes, concurrentTimes, readsPerSecond };
}

async function capacityPerOperation(info: StackInfo) {
  const client = new DynamoDBClient({ endpoint: info.dynamoDb.endpoint, region: info.cognito.region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const meter = meterCapacity(client);
  const documents = DynamoDBDocumentClient.from(client);
  const record = new RecordInteractions({
    store: new DynamoDbRecordStore(documents, info.dynamoDb.tables),
    journal: new DynamoDbAccessJournal(documents, info.dynamoDb.tables.audit),
    validate: validateResource,
  });
  const ctx: RequestContext = {
    principal: { sub: 'bench', username: 'bench@dsc.local', clientId: info.cognito.clientId, roles: ['physician'], scopes: [] },
    requestId: 'bench',
    sourceIp: '127.0.0.1',
    userAgent: 'dsc-bench',
  };
  meter.reset();
  const created = await record.create(ctx, 'Patient', () => structuredClone(patient));
  const create = { read: meter.read, write: meter.write };
  meter.reset();
  await record.read(ctx, 'Patient', created.id);
  return { create, read: { read: meter.read, write: meter.write } };
}

async function main() {
  const stack = await startLocalStack({
    apiPort: await freePort(),
    cognitoPort: await freePort(),
    dynamoDbPort: await freePort(),
    localDir: mkdtempSync(path.join(tmpdir(), 'dsc-bench-')),
    inMemory: true,
    log: () => undefined,
    onCrash: (message) => {
      console.error(`bench: ${message}`);
      process.exit(1);
    },
  });
  try {
    const http = await httpLatency(stack.info, await accessToken(stack.info));
    const capacity = await capacityPerOperation(stack.info);
    const memory = process.memoryUsage();
    const summary = (times: number[]) => {
      const sorted = [...times].sort((a, b) => a - b);
      return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), max: sorted.at(-1)! };
    };
    const create = summary(http.createTimes);
    const read = summary(http.readTimes);
    const concurrent = summary(http.concurrentTimes);

    console.log(`\nDSC bench — ${samples} samples per operation, local stack in memory, Node ${process.version}\n`);
    console.table({
      'POST /Patient': fmt(create),
      'GET /Patient/{id}': fmt(read),
      [`GET /Patient/{id} ×${concurrency} concurrent`]: fmt(concurrent),
    });
    console.log(`concurrent reads: ${http.readsPerSecond.toFixed(0)} requests/s`);
    console.table({
      create: { RCU: capacity.create.read, WCU: capacity.create.write },
      read: { RCU: capacity.read.read, WCU: capacity.read.write },
    });
    console.log(`handler process: RSS ${(memory.rss / 2 ** 20).toFixed(0)} MB, heap used ${(memory.heapUsed / 2 ** 20).toFixed(0)} MB\n`);

    const measured: Record<keyof typeof targets, number> = {
      'create p95 (ms)': create.p95,
      'read p95 (ms)': read.p95,
      'create WCU': capacity.create.write,
      'create RCU': capacity.create.read,
      'read RCU': capacity.read.read,
      'read WCU': capacity.read.write,
      'handler process RSS (MB)': memory.rss / 2 ** 20,
    };
    const misses = Object.entries(targets).filter(([name, limit]) => measured[name as keyof typeof targets] > limit);
    console.table(Object.fromEntries(Object.entries(targets).map(([name, limit]) => [name, { measured: round(measured[name as keyof typeof targets]), target: `≤ ${limit}` }])));
    if (misses.length > 0) {
      console.error(`bench: missed ${misses.map(([name]) => name).join(', ')}`);
      process.exitCode = 1;
    } else {
      console.log('bench: every target met');
    }
  } finally {
    await stack.stop();
  }
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

function fmt(summary: { p50: number; p95: number; p99: number; max: number }) {
  return { 'p50 ms': round(summary.p50), 'p95 ms': round(summary.p95), 'p99 ms': round(summary.p99), 'max ms': round(summary.max) };
}

main().catch((error: unknown) => {
  console.error(`bench: ${(error as Error).stack ?? String(error)}`);
  process.exit(1);
});
