import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { freePort } from '../../local/ports';
import type { StackInfo } from '../../local/stack';

const repositoryRoot = path.resolve(__dirname, '..', '..');

export interface Ports {
  readonly api: number;
  readonly cognito: number;
  readonly token: number;
  readonly dynamoDb: number;
  readonly s3: number;
}

export interface StackProcess {
  readonly process: ChildProcess;
  readonly ports: Ports;
  readonly localDir: string;
  output(): string;
  /** Resolves with the exit code once the process has ended. */
  readonly exited: Promise<number | null>;
}

export async function freePorts(): Promise<Ports> {
  return { api: await freePort(), cognito: await freePort(), token: await freePort(), dynamoDb: await freePort(), s3: await freePort() };
}

/** Runs `local/start.ts` exactly as `npm start` does, in its own process, on the given ports. */
export function launchStack(options: { ports: Ports; localDir?: string; inMemory?: boolean; env?: NodeJS.ProcessEnv }): StackProcess {
  const localDir = options.localDir ?? mkdtempSync(path.join(tmpdir(), 'dsc-e2e-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts', ...(options.inMemory ? ['--in-memory'] : [])], {
    cwd: repositoryRoot,
    env: {
      ...process.env,
      PORT: String(options.ports.api),
      COGNITO_PORT: String(options.ports.cognito),
      TOKEN_PORT: String(options.ports.token),
      DYNAMODB_PORT: String(options.ports.dynamoDb),
      S3_PORT: String(options.ports.s3),
      DSC_LOCAL_DIR: localDir,
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { process: child, ports: options.ports, localDir, output: () => output, exited };
}

/** Waits for stack.json, the contract that says the stack is ready; fails if the process dies first. */
export async function waitForStackFile(stack: StackProcess, timeoutMs = 90_000): Promise<StackInfo> {
  const file = path.join(stack.localDir, 'stack.json');
  const deadline = Date.now() + timeoutMs;
  let ended = false;
  void stack.exited.then(() => (ended = true));
  while (Date.now() < deadline) {
    if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as StackInfo;
    if (ended) throw new Error(`the local stack exited before it was ready:\n${stack.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`no stack.json after ${timeoutMs} ms:\n${stack.output()}`);
}

export async function startStack(options: Parameters<typeof launchStack>[0]) {
  const stack = launchStack(options);
  const info = await waitForStackFile(stack);
  return { stack, info };
}

/** SIGTERM, as a service manager or Ctrl-C would send, then the exit code. */
export async function stopStack(stack: StackProcess): Promise<number | null> {
  if (stack.process.exitCode === null && stack.process.signalCode === null) stack.process.kill('SIGTERM');
  return stack.exited;
}

/** Process ids of the DynamoDB Local JVM listening on this port, if any. */
export function dynamoDbLocalPids(port: number): number[] {
  const result = spawnSync('pgrep', ['-f', `DynamoDBLocal.jar.*-port ${port}`], { encoding: 'utf8' });
  return result.stdout.split('\n').filter(Boolean).map(Number);
}
