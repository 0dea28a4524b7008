import { Worker } from 'node:worker_threads';
import * as path from 'node:path';
import { environmentFor, functions, tableActions, type DeploymentValues, type FunctionName } from '../../lambdas/contracts/functions';
import type { Grants } from './grants';

const repositoryRoot = path.resolve(__dirname, '..', '..');

/** What Lambda itself gives every function: region and credentials (here, DynamoDB Local's). */
export type RuntimeEnvironment = Record<string, string>;

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/**
 * One deployed function, run locally in its own worker thread with exactly the environment
 * `environmentFor` gives it in the API stack and its table grants enforced, so a function that
 * reads a variable or a table it was not given fails here too.
 */
export class FunctionHost {
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  private constructor(
    readonly name: FunctionName,
    private readonly worker: Worker,
  ) {
    worker.on('message', (message: { id?: number; result?: unknown; error?: { name: string; message: string } }) => {
      if (message.id === undefined) return;
      const pending = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error) pending?.reject(Object.assign(new Error(message.error.message), { name: message.error.name }));
      else pending?.resolve(message.result);
    });
    worker.on('error', (error) => {
      this.failAll(error);
    });
    worker.on('exit', (code) => {
      this.failAll(new Error(`function ${name} stopped (exit ${code})`));
    });
  }

  static async start(name: FunctionName, values: DeploymentValues, runtime: RuntimeEnvironment): Promise<FunctionHost> {
    const definition = functions[name];
    const grants: Grants = {};
    for (const [table, access] of Object.entries(definition.tableAccess) as [keyof DeploymentValues['tableNames'], keyof typeof tableActions][]) {
      grants[values.tableNames[table]] = tableActions[access];
    }
    const worker = new Worker(path.join(__dirname, 'function-worker.cjs'), {
      env: { ...runtime, ...environmentFor(definition, values) },
      workerData: {
        entry: path.join(repositoryRoot, definition.entry),
        platformDynamoDb: path.join(repositoryRoot, 'lambdas/platform/dynamodb.ts'),
        grants,
        ...('userPoolActions' in definition ? { platformCognito: path.join(repositoryRoot, 'lambdas/platform/cognito.ts'), userPoolActions: definition.userPoolActions } : {}),
      },
    });
    await new Promise<void>((resolve, reject) => {
      const onMessage = (message: { ready?: boolean }) => {
        if (!message.ready) return;
        worker.off('message', onMessage);
        resolve();
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
      worker.once('exit', (code) => {
        reject(new Error(`function ${name} failed to start (exit ${code})`));
      });
    });
    return new FunctionHost(name, worker);
  }

  invoke<T>(event: unknown, context: Record<string, unknown>): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, event, context });
    });
  }

  async stop(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }

  private failAll(error: Error): void {
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }
}
