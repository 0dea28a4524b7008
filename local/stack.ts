import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { corsAllowedOriginsEnvVar, parseOrigins } from '../lambdas/contracts/cors';
import { functionNames, functions, type DeploymentValues, type FunctionName } from '../lambdas/contracts/functions';
import { tables } from '../lambdas/contracts/tables';
import { validateResource } from '../lambdas/fhir/validation';
import { writeServices } from '../lambdas/record/compose-write';
import type { RequestContext } from '../lambdas/record/request-context';
import cdkJson from '../cdk.json';
import { resolveStageConfig } from '../lib/config';
import { Children } from './children';
import { acquireDataLock } from './data-lock';
import { FunctionHost } from './functions/function-host';
import { StreamPoller } from './stream-poller';
import { customizeAccessToken } from '../lambdas/access/token-customization';
import { cognitoEndpoint, localRegion, provisionPool, startCognitoLocal, userAttributeLookup, type IntegrationClient } from './cognito';
import { demoIntegrationClients, demoPatients, demoResources, demoUsers, type DemoUser } from './demo-data';
import { endpointOf, ensureTables, localCredentials, startDynamoDbLocal } from './dynamodb';
import { startGateway } from './gateway';
import { startLocalS3, type LocalS3 } from './s3';
import { assertPortFree, freePort, StartupError } from './ports';
import { withStaffTokenTrigger } from './staff-token-trigger';
import { startTokenEndpoint, tokenPath } from './token-endpoint';
import { createTokenVerifier } from './token-verifier';


/** Every function but the journal archiver: the audit stream it reads and the S3 bucket it writes have no local part. */
const locallyRunFunctions = functionNames.filter((name) => functions[name].trigger !== 'audit-stream');
export interface LocalStackOptions {
  readonly apiPort: number;
  readonly cognitoPort: number;
  /** The local stand-in for the managed-login domain's token endpoint (client credentials). */
  readonly tokenPort: number;
  readonly dynamoDbPort: number;
  /** s3rver, holding the attachments bucket; a free port when not given. */
  readonly s3Port?: number;
  /** Folder for persistent data and stack.json (default .local). */
  readonly localDir: string;
  readonly inMemory: boolean;
  readonly log: (line: string) => void;
  /** Called if an emulator dies after start-up. */
  readonly onCrash: (message: string) => void;
}

/** The contract other tools read from .local/stack.json; keep these field names. */
export interface StackInfo {
  readonly apiUrl: string;
  readonly cognito: {
    readonly endpoint: string;
    readonly region: string;
    readonly userPoolId: string;
    readonly clientId: string;
    /** POST here with grant_type=client_credentials and an integration client's id and secret (HTTP Basic). */
    readonly tokenEndpoint: string;
    readonly integrationClients: readonly IntegrationClient[];
  };
  readonly dynamoDb: { readonly endpoint: string; readonly tables: Record<keyof typeof tables, string> };
  /** s3rver and the attachments bucket (Binary content); credentials are DynamoDB Local's. */
  readonly s3: { readonly endpoint: string; readonly bucket: string };
  readonly users: readonly DemoUser[];
  readonly demoPatients: readonly string[];
}

export interface LocalStack {
  readonly info: StackInfo;
  readonly stackFile: string;
  /** Resolves once the index processor has caught up with every write made so far. */
  indexed(): Promise<void>;
  /** Runs `writes`, whose records the index processor never sees: for a writer of its own index items (see StreamPoller.skipping). */
  withoutIndexing<T>(writes: () => Promise<T>): Promise<T>;
  stop(): Promise<void>;
}

/** Starts DynamoDB Local, cognito-local and the gateway, provisions them, then writes stack.json. */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const stackFile = path.join(options.localDir, 'stack.json');
  mkdirSync(options.localDir, { recursive: true });
  // First the folder's lock, so a second start never touches a running stack's stack.json.
  const lock = acquireDataLock(options.localDir, `http://127.0.0.1:${options.apiPort}`);
  if (lock.tookOverFrom) options.log(`(taking over ${lock.file}: its stack, PID ${lock.tookOverFrom.pid}, is no longer running)`);
  rmSync(stackFile, { force: true }); // a stale file must not suggest a running stack

  try {
    await assertPortFree(options.apiPort, 'local API gateway', 'PORT');
    await assertPortFree(options.cognitoPort, 'cognito-local', 'COGNITO_PORT');
    await assertPortFree(options.tokenPort, 'local token endpoint', 'TOKEN_PORT');
    await assertPortFree(options.dynamoDbPort, 'DynamoDB Local', 'DYNAMODB_PORT');
    if (options.s3Port !== undefined) await assertPortFree(options.s3Port, 'S3 emulator (s3rver)', 'S3_PORT');
  } catch (error) {
    lock.release();
    throw error;
  }

  // Until the stack is ready a crashing emulator fails start-up at once; afterwards it is reported.
  let ready = false;
  let failStartup: (error: Error) => void = () => undefined;
  const crashedDuringStartup = new Promise<never>((_, reject) => (failStartup = reject));
  crashedDuringStartup.catch(() => undefined);
  const children = new Children((message) => {
    if (ready) options.onCrash(message);
    else failStartup(new StartupError(message));
  });
  const scratch = options.inMemory ? mkdtempSync(path.join(tmpdir(), 'dsc-cognito-')) : undefined;
  let gateway: Server | undefined;
  let tokenEndpoint: Server | undefined;
  let poller: StreamPoller | undefined;
  let s3: LocalS3 | undefined;
  const hosts = new Map<FunctionName, FunctionHost>();
  const stop = async () => {
    const closed = new Promise<void>((resolve) => {
      if (gateway) {
        gateway.close(() => {
          resolve();
        });
      } else {
        resolve();
      }
    });
    gateway?.closeAllConnections(); // keep-alive clients must not hold the shutdown open
    tokenEndpoint?.close();
    tokenEndpoint?.closeAllConnections();
    await closed;
    await poller?.stop();
    await Promise.all([...hosts.values()].map((host) => host.stop()));
    await children.stopAll();
    await s3?.stop();
    rmSync(stackFile, { force: true });
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    lock.release();
  };

  const boot = async (): Promise<StackInfo> => {
    const dynamoDbDir = options.inMemory ? undefined : path.join(options.localDir, 'dynamodb');
    if (dynamoDbDir) mkdirSync(dynamoDbDir, { recursive: true });
    const [dynamoDb, cognito] = await Promise.all([
      startDynamoDbLocal(children, { port: options.dynamoDbPort, dataDir: dynamoDbDir }),
      startCognitoLocal(children, { port: options.cognitoPort, dir: scratch ?? path.join(options.localDir, 'cognito') }),
    ]);
    s3 = await startLocalS3({ port: options.s3Port ?? (await freePort()), dataDir: options.inMemory ? undefined : path.join(options.localDir, 's3'), credentials: localCredentials });
    const tableNames = await ensureTables(dynamoDb);
    const pool = await provisionPool(cognito, demoUsers, demoIntegrationClients);
    const allowedClientIds = [pool.clientId, ...pool.integrationClients.map((client) => client.clientId)];

    // Each function runs in its own worker with the environment the API stack gives it, plus what
    // Lambda itself provides (region, credentials; here the endpoints of DynamoDB Local and cognito-local).
    const dynamoDbEndpoint = endpointOf(options.dynamoDbPort);
    const allowedOrigins = localCorsOrigins();
    const values: DeploymentValues = { tableNames, bucketNames: { attachments: s3.bucket }, allowedClientIds, corsAllowedOrigins: [...allowedOrigins], userPoolId: pool.userPoolId };
    const runtime = {
      AWS_REGION: localRegion,
      AWS_ACCESS_KEY_ID: localCredentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: localCredentials.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: dynamoDbEndpoint,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: cognitoEndpoint(options.cognitoPort),
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
    };
    for (const host of await Promise.all(locallyRunFunctions.map((name) => FunctionHost.start(name, values, runtime)))) hosts.set(host.name, host);
    const indexer = hosts.get('searchIndexer');
    if (!indexer) throw new Error('the searchIndexer function did not start');
    poller = new StreamPoller(dynamoDb, {
      endpoint: dynamoDbEndpoint,
      region: localRegion,
      credentials: localCredentials,
      tableName: tableNames.record,
      deliver: (event) => indexer.invoke(event, { functionName: 'dsc-local-searchIndexer', awsRequestId: 'stream' }),
      onError: (message) => {
        options.log(message);
      },
    });
    poller.start();
    await seedDemoData(DynamoDBDocumentClient.from(dynamoDb), tableNames);

    const issuer = `${cognitoEndpoint(options.cognitoPort)}/${pool.userPoolId}`;
    // The authorizer's checks, then what the deployed pre-token-generation trigger would have put in a staff token.
    const verifyToken = withStaffTokenTrigger(await createTokenVerifier({ issuer, allowedClientIds }), customizeAccessToken, userAttributeLookup(cognito, pool.userPoolId));
    tokenEndpoint = await startTokenEndpoint({ port: options.tokenPort, issuer, userPoolId: pool.userPoolId, cognito });
    gateway = await startGateway({ port: options.apiPort, verifyToken, allowedOrigins, functions: hosts, log: options.log });

    const info: StackInfo = {
      apiUrl: `http://127.0.0.1:${options.apiPort}`,
      cognito: {
        endpoint: cognitoEndpoint(options.cognitoPort),
        region: localRegion,
        userPoolId: pool.userPoolId,
        clientId: pool.clientId,
        tokenEndpoint: `http://127.0.0.1:${options.tokenPort}${tokenPath}`,
        integrationClients: pool.integrationClients,
      },
      dynamoDb: { endpoint: dynamoDbEndpoint, tables: tableNames },
      s3: { endpoint: s3.endpoint, bucket: s3.bucket },
      users: demoUsers,
      demoPatients: demoPatients.map((patient) => `Patient/${patient.id}`),
    };
    return info;
  };

  try {
    const info = await Promise.race([boot(), crashedDuringStartup]);
    // Written last, and atomically: its presence means the stack is ready.
    writeFileSync(`${stackFile}.tmp`, `${JSON.stringify(info, null, 2)}\n`);
    renameSync(`${stackFile}.tmp`, stackFile);
    ready = true;
    return { info, stackFile, stop, indexed: () => poller?.drained() ?? Promise.resolve(), withoutIndexing: (writes) => (poller ? poller.skipping(writes) : writes()) };
  } catch (error) {
    await stop();
    throw error;
  }
}

const seedContext: RequestContext = {
  principal: { kind: 'system', sub: 'local-demo-loader', username: 'npm start (demo data)', clientId: 'local', roles: ['integration'], scopes: ['dsc-fhir/fhir.read', 'dsc-fhir/fhir.write'] },
  requestId: 'local-demo-data',
};

/** Loads the demo resources through the same write service as the API (update as create keeps their ids), journal entries included. */
async function seedDemoData(client: DynamoDBDocumentClient, names: { record: string; audit: string }): Promise<void> {
  const { store, writer } = writeServices(client, names, validateResource);
  for (const resource of demoResources) {
    if (await store.readCurrent(resource.resourceType, resource.id)) continue;
    await writer.update(seedContext, resource.resourceType, resource.id, () => structuredClone(resource));
  }
}

/** The dev stage's browser origins, unless CORS_ALLOWED_ORIGINS says otherwise (empty turns CORS off). */
function localCorsOrigins(): Set<string> {
  const override = process.env[corsAllowedOriginsEnvVar];
  if (override !== undefined) return parseOrigins(override);
  return new Set(resolveStageConfig('dev', cdkJson.context.stages).corsAllowedOrigins);
}
