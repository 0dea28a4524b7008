import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dynamoDbLocalPids, freePorts, launchStack, startStack, stopStack, type StackProcess } from '../support/local-stack-process';
import type { StoredResource } from '../support/e2e-stack';
import { json } from '../support/http';
import { signIn } from '../support/tokens';

/** `npm start` as an operator meets it: restarts, shutdown, and the ways it can fail to start. */
const started: StackProcess[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map(stopStack));
});

async function createPatient(info: Awaited<ReturnType<typeof startStack>>['info'], family: string): Promise<string> {
  const physician = info.users.find((user) => user.roles.includes('physician'))!;
  const { accessToken } = await signIn(info, physician.email, physician.password);
  const response = await fetch(`${info.apiUrl}/Patient`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${accessToken}`, 'Content-Type': 'application/fhir+json' },
    body: JSON.stringify({ resourceType: 'Patient', name: [{ family }] }),
  });
  expect(response.status).toBe(201);
  return (await json<StoredResource>(response)).id;
}

describe('npm start', () => {
  it('keeps data, pool and client across a restart, and on SIGTERM stops every child and removes stack.json and the lock', async () => {
    const localDir = mkdtempSync(path.join(tmpdir(), 'dsc-persist-'));
    const ports = await freePorts();

    const first = await startStack({ ports, localDir });
    const id = await createPatient(first.info, 'Persistante');
    expect(dynamoDbLocalPids(ports.dynamoDb)).toHaveLength(1);
    expect(await stopStack(first.stack)).toBe(0);
    expect(dynamoDbLocalPids(ports.dynamoDb)).toEqual([]);
    expect(existsSync(path.join(localDir, 'stack.json'))).toBe(false);
    expect(existsSync(path.join(localDir, 'lock'))).toBe(false);

    const second = await startStack({ ports, localDir });
    started.push(second.stack);
    expect(second.info.cognito).toEqual(first.info.cognito);
    const physician = second.info.users.find((user) => user.roles.includes('physician'))!;
    const { accessToken } = await signIn(second.info, physician.email, physician.password);
    const read = await fetch(`${second.info.apiUrl}/Patient/${id}`, { headers: { Authorization: `Bearer ${accessToken}` } });
    expect(read.status).toBe(200);
    expect((await json<StoredResource>(read)).name).toEqual([{ family: 'Persistante' }]);
  });

  it('keeps nothing with --in-memory', async () => {
    const localDir = mkdtempSync(path.join(tmpdir(), 'dsc-mem-'));
    const ports = await freePorts();
    const first = await startStack({ ports, localDir, inMemory: true });
    const id = await createPatient(first.info, 'Éphémère');
    await stopStack(first.stack);

    const second = await startStack({ ports, localDir, inMemory: true });
    started.push(second.stack);
    const physician = second.info.users.find((user) => user.roles.includes('physician'))!;
    const { accessToken } = await signIn(second.info, physician.email, physician.password);
    expect((await fetch(`${second.info.apiUrl}/Patient/${id}`, { headers: { Authorization: `Bearer ${accessToken}` } })).status).toBe(404);
  });

  it('refuses a second start on a running stack\'s data folder, on the same ports or others, and leaves its stack.json alone', async () => {
    const localDir = mkdtempSync(path.join(tmpdir(), 'dsc-locked-'));
    const ports = await freePorts();
    const first = await startStack({ ports, localDir, inMemory: true });
    started.push(first.stack);
    const stackJson = readFileSync(path.join(localDir, 'stack.json'), 'utf8');
    const refusal = `dsc: the data folder ${localDir} is in use by a local stack (PID ${first.stack.process.pid}, ${first.info.apiUrl}); stop it first, or choose another folder with DSC_LOCAL_DIR=<folder>`;

    for (const second of [launchStack({ ports, localDir }), launchStack({ ports: await freePorts(), localDir, inMemory: true })]) {
      expect(await second.exited).toBe(1);
      expect(second.output().trim()).toBe(refusal);
    }
    expect(readFileSync(path.join(localDir, 'stack.json'), 'utf8')).toBe(stackJson);
    expect((await fetch(`${first.info.apiUrl}/metadata`)).status).toBe(200);
  });

  it('refuses to start on a port in use, with one clear line and exit code 1', async () => {
    const ports = await freePorts();
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(ports.api, '127.0.0.1', resolve));
    try {
      const stack = launchStack({ ports, inMemory: true });
      expect(await stack.exited).toBe(1);
      expect(stack.output().trim()).toBe(`dsc: port ${ports.api} (local API gateway) is already in use; free it or choose another with PORT=<port>`);
    } finally {
      blocker.close();
    }
  });

  it('says plainly that Java is missing, and leaves nothing running', async () => {
    const ports = await freePorts();
    const emptyPath = mkdtempSync(path.join(tmpdir(), 'dsc-no-java-'));
    const stack = launchStack({ ports, inMemory: true, env: { PATH: emptyPath } });
    expect(await stack.exited).toBe(1);
    expect(stack.output()).toMatch(/^dsc: Java 17 or newer is needed for DynamoDB Local, but `java` is not on PATH/m);
    expect(stack.output().trim().split('\n')).toHaveLength(1);
    const cognitoUp = await fetch(`http://127.0.0.1:${ports.cognito}/health`).then(() => true, () => false);
    expect(cognitoUp).toBe(false);
  });

  it('stops everything and exits 1 when DynamoDB Local dies under it', async () => {
    const ports = await freePorts();
    const { stack } = await startStack({ ports, inMemory: true });
    started.push(stack);
    const [pid] = dynamoDbLocalPids(ports.dynamoDb);
    expect(pid).toBeDefined();
    process.kill(pid!, 'SIGKILL');
    expect(await stack.exited).toBe(1);
    expect(stack.output()).toMatch(/dsc: DynamoDB Local exited unexpectedly \(SIGKILL\); stopping/);
    const cognitoUp = await fetch(`http://127.0.0.1:${ports.cognito}/health`).then(() => true, () => false);
    expect(cognitoUp).toBe(false);
  });
});
