import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StackInfo } from '../../local/stack';
import { freePorts, startStack, stopStack, type StackProcess } from '../support/local-stack-process';
import { json } from '../support/http';
import { decodePayload, signIn, signWithCognitoLocalKey } from '../support/tokens';

/**
 * The whole chain over HTTP: the local stack in its own process, real tokens from
 * cognito-local, the gateway's authorizer, the deployed handler modules and DynamoDB Local.
 * The client side uses nothing but .local/stack.json.
 */
let stack: StackProcess;
let info: StackInfo;

beforeAll(async () => {
  ({ stack, info } = await startStack({ ports: await freePorts(), inMemory: true }));
});
afterAll(async () => {
  if (stack) await stopStack(stack);
});

const userWithRole = (role: string) => info.users.find((user) => user.roles.includes(role as never))!;
const tokenFor = async (role: string) => (await signIn(info, userWithRole(role).email, userWithRole(role).password)).accessToken;

function call(path: string, init: { method?: string; token?: string; body?: unknown } = {}) {
  return fetch(`${info.apiUrl}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      ...(init.token ? { Authorization: `Bearer ${init.token}` } : {}),
      ...(init.body !== undefined ? { 'Content-Type': 'application/fhir+json' } : {}),
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
}

async function expectOutcome(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/fhir\+json/);
  expect(await json(response)).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code }] });
}

async function journalOf(reference: string) {
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: info.dynamoDb.endpoint, region: info.cognito.region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
  );
  const result = await client.send(
    new QueryCommand({ TableName: info.dynamoDb.tables.audit, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': reference }, ConsistentRead: true }),
  );
  return (result.Items ?? []).map((item) => JSON.parse(item.event as string));
}

describe('the local stack, as a client that knows only stack.json sees it', () => {
  it('serves the CapabilityStatement without a token, listing Patient read and create', async () => {
    const response = await call('/metadata');
    expect(response.status).toBe(200);
    const statement = await json(response);
    expect(statement).toMatchObject({ resourceType: 'CapabilityStatement', fhirVersion: '4.0.1', kind: 'instance' });
    const patient = statement.rest[0].resource.find((entry: { type: string }) => entry.type === 'Patient');
    expect(patient.interaction.map((i: { code: string }) => i.code).sort()).toEqual(['create', 'read']);
  });

  it('lets a physician create a Patient and read it back from its Location', async () => {
    const token = await tokenFor('physician');
    const created = await call('/Patient', { method: 'POST', token, body: { resourceType: 'Patient', name: [{ family: 'Lavoie', given: ['Jeanne'] }], birthDate: '1970-05-04' } });
    expect(created.status).toBe(201);
    const body = await json(created);
    expect(body).toMatchObject({ resourceType: 'Patient', id: expect.any(String), meta: { versionId: '1' }, name: [{ family: 'Lavoie' }] });
    expect(created.headers.get('location')).toBe(`${info.apiUrl}/Patient/${body.id}/_history/1`);
    expect(created.headers.get('etag')).toBe('W/"1"');

    const read = await call(`/Patient/${body.id}`, { token });
    expect(read.status).toBe(200);
    expect(read.headers.get('cache-control')).toBe('no-store');
    expect(await json(read)).toEqual(body);
  });

  it('lets the dev stage\'s browser origin in (preflight, answers and gateway errors), and no other', async () => {
    const origin = 'http://localhost:5173';
    const preflight = await fetch(`${info.apiUrl}/Patient/some-id`, {
      method: 'OPTIONS',
      headers: { Origin: origin, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(origin);
    expect(preflight.headers.get('access-control-allow-headers')).toContain('Authorization');

    const token = await tokenFor('nurse');
    const read = await fetch(`${info.apiUrl}/${info.demoPatients[0]}`, { headers: { Origin: origin, Authorization: `Bearer ${token}` } });
    expect(read.headers.get('access-control-allow-origin')).toBe(origin);
    expect(read.headers.get('access-control-expose-headers')).toContain('ETag');
    const foreign = await fetch(`${info.apiUrl}/${info.demoPatients[0]}`, { headers: { Origin: 'https://elsewhere.example.org', Authorization: `Bearer ${token}` } });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();

    const unauthorized = await fetch(`${info.apiUrl}/${info.demoPatients[0]}`, { headers: { Origin: origin } });
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.headers.get('access-control-allow-origin')).toBe('*');
    expect((await json(await call('/metadata'))).rest[0].security.cors).toBe(true);
  });

  it('serves the demo patients it seeded', async () => {
    const token = await tokenFor('nurse');
    for (const reference of info.demoPatients) expect((await call(`/${reference}`, { token })).status).toBe(200);
  });

  it('journals who created and who read a patient, from verified token claims', async () => {
    const token = await tokenFor('clerk');
    const { id } = await json(await call('/Patient', { method: 'POST', token, body: { resourceType: 'Patient', gender: 'unknown' } }));
    const readerToken = await tokenFor('nurse');
    await call(`/Patient/${id}`, { token: readerToken });
    const journal = await journalOf(`Patient/${id}`);
    expect(journal.map((event) => event.action).sort()).toEqual(['C', 'R']);
    const reader = journal.find((event) => event.action === 'R');
    expect(reader.agent[0].who.identifier.value).toBe(decodePayload(readerToken).sub);
    expect(reader.agent[0].role[0].coding[0].code).toBe('nurse');
  });

  it('refuses the user administrator any patient data with 403, and journals the denial', async () => {
    const token = await tokenFor('user-admin');
    const [reference] = info.demoPatients;
    await expectOutcome(await call(`/${reference}`, { token }), 403, 'forbidden');
    await expectOutcome(await call('/Patient', { method: 'POST', token, body: { resourceType: 'Patient' } }), 403, 'forbidden');
    const denials = (await journalOf(reference)).filter((event) => event.outcomeDesc === 'denied');
    expect(denials.map((event) => event.agent[0].who.identifier.value)).toContain(decodePayload(token).sub);
  });

  it('rejects an invalid Patient with 400 and an OperationOutcome naming the element', async () => {
    const token = await tokenFor('physician');
    const response = await call('/Patient', { method: 'POST', token, body: { resourceType: 'Patient', birthDate: '04/05/1970' } });
    expect(response.status).toBe(400);
    expect((await json(response)).issue[0].expression).toEqual(['Patient.birthDate']);
  });

  it('answers 404 with an OperationOutcome for an unknown patient and an unknown endpoint', async () => {
    const token = await tokenFor('physician');
    await expectOutcome(await call('/Patient/does-not-exist', { token }), 404, 'not-found');
    await expectOutcome(await call('/Nothing/here', { token }), 404, 'not-supported');
  });

  it('answers 403 at the gateway when the token carries none of the scopes the method accepts', async () => {
    const claims = decodePayload(await tokenFor('physician'));
    const now = Math.floor(Date.now() / 1000);
    const token = signWithCognitoLocalKey({ ...claims, scope: 'openid email', iat: now, exp: now + 600 });
    await expectOutcome(await call(`/${info.demoPatients[0]}`, { token }), 403, 'forbidden');
  });

  describe('without a valid access token: 401 and no data', () => {
    const target = () => `/${info.demoPatients[0]}`;

    async function expectUnauthorized(token?: string) {
      const response = await call(target(), { token });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
      const body = await response.text();
      expect(body).not.toContain('"resourceType":"Patient"');
      expect(JSON.parse(body)).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'login' }] });
    }

    it('refuses a request with no token', async () => {
      await expectUnauthorized();
    });

    it('refuses a tampered token (payload edited, signature kept)', async () => {
      const token = await tokenFor('clerk');
      const [header, , signature] = token.split('.');
      const payload = { ...decodePayload(token), 'cognito:groups': ['physician'] };
      await expectUnauthorized(`${header}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${signature}`);
    });

    it('refuses an expired token, while the same token with a future expiry passes', async () => {
      const claims = decodePayload(await tokenFor('physician'));
      const now = Math.floor(Date.now() / 1000);
      expect((await call(target(), { token: signWithCognitoLocalKey({ ...claims, iat: now - 60, exp: now + 600 }) })).status).toBe(200);
      await expectUnauthorized(signWithCognitoLocalKey({ ...claims, iat: now - 7200, exp: now - 3600 }));
    });

    it('refuses an ID token where an access token is required', async () => {
      const { idToken } = await signIn(info, userWithRole('physician').email, userWithRole('physician').password);
      await expectUnauthorized(idToken);
    });

    it('refuses a token whose issuer is another pool', async () => {
      const claims = decodePayload(await tokenFor('physician'));
      await expectUnauthorized(signWithCognitoLocalKey({ ...claims, iss: `${info.cognito.endpoint}/local_other` }));
    });
  });
});
