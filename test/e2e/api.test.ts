import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import type { Role } from '../../lambdas/access/roles';
import { allPages, bootLocalStack, expectJson, expectOperationOutcome, referencesOf, type StoredResource } from '../support/e2e-stack';
import { decodePayload, signIn, signWithCognitoLocalKey } from '../support/tokens';
import { auditEventOfItem } from '../../lambdas/audit/access-journal';

/**
 * The whole chain over HTTP: the local stack in its own process, real tokens from
 * cognito-local, the gateway's authorizer, the deployed handler modules behind the generic
 * routes (/{type}, /{type}/{id}, …) and DynamoDB Local. The client side uses nothing but
 * .local/stack.json.
 */
const stack = bootLocalStack();

const userWithRole = (role: Role) => {
  const user = stack.info.users.find((candidate) => candidate.roles.includes(role));
  if (!user) throw new Error(`no demo user with role ${role}`);
  return user;
};
const tokenFor = (role: Role) => stack.token(userWithRole(role).email);
const tremblay = 'Patient/demo-tremblay';

function call(path: string, init: { method?: string; token?: string; body?: unknown } = {}) {
  return fetch(`${stack.info.apiUrl}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      ...(init.token ? { Authorization: `Bearer ${init.token}` } : {}),
      ...(init.body !== undefined ? { 'Content-Type': 'application/fhir+json' } : {}),
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
}

interface CapabilityStatement {
  readonly resourceType: string;
  readonly rest: readonly {
    readonly security: { readonly cors: boolean };
    readonly resource: readonly { readonly type: string; readonly interaction: readonly { readonly code: string }[]; readonly operation?: readonly { readonly name: string }[] }[];
  }[];
}

interface JournalEvent {
  readonly action: string;
  readonly outcomeDesc?: string;
  readonly agent: readonly { readonly who: { readonly identifier: { readonly value: string } }; readonly role: readonly { readonly coding: readonly { readonly code: string }[] }[] }[];
}

async function journalOf(reference: string): Promise<JournalEvent[]> {
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: stack.info.dynamoDb.endpoint, region: stack.info.cognito.region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
  );
  const result = await client.send(
    new QueryCommand({ TableName: stack.info.dynamoDb.tables.audit, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': reference }, ConsistentRead: true }),
  );
  return (result.Items ?? []).map((item) => auditEventOfItem(item) as unknown as JournalEvent);
}

describe('the local stack, as a client that knows only stack.json sees it', () => {
  it('serves the CapabilityStatement without a token, listing every Patient interaction and $everything', async () => {
    const statement = await expectJson<CapabilityStatement>(await call('/metadata'), 200);
    expect(statement).toMatchObject({ resourceType: 'CapabilityStatement', fhirVersion: '4.0.1', kind: 'instance' });
    const patient = statement.rest[0]?.resource.find((entry) => entry.type === 'Patient');
    expect(patient?.interaction.map((interaction) => interaction.code).sort()).toEqual([
      'create',
      'delete',
      'history-instance',
      'history-type',
      'patch',
      'read',
      'search-type',
      'update',
      'vread',
    ]);
    expect(patient?.operation?.map((operation) => operation.name)).toEqual(['everything']);
  });

  it('lets a physician create a Patient and read it back from its Location', async () => {
    const token = await tokenFor('physician');
    const created = await call('/Patient', { method: 'POST', token, body: { resourceType: 'Patient', name: [{ family: 'Lavoie', given: ['Jeanne'] }], birthDate: '1970-05-04' } });
    const body = await expectJson(created, 201);
    expect(body).toMatchObject({ resourceType: 'Patient', meta: { versionId: '1' }, name: [{ family: 'Lavoie' }] });
    expect(created.headers.get('location')).toBe(`${stack.info.apiUrl}/Patient/${body.id}/_history/1`);
    expect(created.headers.get('etag')).toBe('W/"1"');

    const read = await call(`/Patient/${body.id}`, { token });
    expect(await expectJson(read, 200)).toEqual(body);
    expect(read.headers.get('cache-control')).toBe('no-store');
  });

  it('serves any R4 type on the same generic routes: an Observation is created, read, searched and versioned', async () => {
    const token = await tokenFor('physician');
    const patient = await expectJson(await call('/Patient', { method: 'POST', token, body: { resourceType: 'Patient', name: [{ family: 'Générique' }] } }), 201);
    const observation = {
      resourceType: 'Observation',
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '29463-7', display: 'Body weight' }] },
      subject: { reference: `Patient/${patient.id}` },
      valueQuantity: { value: 61.5, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' },
    };
    const created = await expectJson(await call('/Observation', { method: 'POST', token, body: observation }), 201);
    expect(await expectJson(await call(`/Observation/${created.id}`, { token }), 200)).toEqual(created);
    const updated = await expectJson(await call(`/Observation/${created.id}`, { method: 'PUT', token, body: { ...observation, id: created.id, status: 'amended' } }), 200);
    expect(updated.meta.versionId).toBe('2');
    expect((await expectJson(await call(`/Observation/${created.id}/_history/1`, { token }), 200)).status).toBe('final');
    const inCompartment = await allPages(stack, `/Patient/${patient.id}/Observation`, { as: userWithRole('physician').email });
    expect(referencesOf(inCompartment.entries)).toEqual([`Observation/${created.id}`]);
  });

  it('lets the dev stage\'s browser origin in (preflight, answers and gateway errors), and no other', async () => {
    const origin = 'http://localhost:5173';
    const preflight = await fetch(`${stack.info.apiUrl}/Patient/some-id`, {
      method: 'OPTIONS',
      headers: { Origin: origin, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(origin);
    expect(preflight.headers.get('access-control-allow-headers')).toContain('Authorization');

    const token = await tokenFor('nurse');
    const read = await fetch(`${stack.info.apiUrl}/${tremblay}`, { headers: { Origin: origin, Authorization: `Bearer ${token}` } });
    expect(read.headers.get('access-control-allow-origin')).toBe(origin);
    expect(read.headers.get('access-control-expose-headers')).toContain('ETag');
    const foreign = await fetch(`${stack.info.apiUrl}/${tremblay}`, { headers: { Origin: 'https://elsewhere.example.org', Authorization: `Bearer ${token}` } });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();

    const unauthorized = await fetch(`${stack.info.apiUrl}/${tremblay}`, { headers: { Origin: origin } });
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.headers.get('access-control-allow-origin')).toBe('*');
    expect((await expectJson<CapabilityStatement>(await call('/metadata'), 200)).rest[0]?.security.cors).toBe(true);
  });

  it('serves the demo data it seeded: three patients, and an encounter and an observation for Émilie Tremblay', async () => {
    const token = await tokenFor('nurse');
    expect([...stack.info.demoPatients].sort()).toEqual(['Patient/demo-gagnon', 'Patient/demo-roy', 'Patient/demo-tremblay']);
    for (const reference of stack.info.demoPatients) expect((await expectJson(await call(`/${reference}`, { token }), 200)).id).toBe(reference.split('/')[1]);

    const encounter = await expectJson(await call('/Encounter/demo-tremblay-visit-1', { token }), 200);
    expect(encounter).toMatchObject({ status: 'finished', subject: { reference: tremblay } });
    const glucose = await expectJson(await call('/Observation/demo-tremblay-glucose-1', { token }), 200);
    expect(glucose).toMatchObject({ subject: { reference: tremblay }, encounter: { reference: 'Encounter/demo-tremblay-visit-1' } });

    const { entries } = await allPages(stack, `/${tremblay}/$everything`, { as: userWithRole('nurse').email });
    expect(referencesOf(entries)).toEqual(['Encounter/demo-tremblay-visit-1', 'Observation/demo-tremblay-glucose-1', tremblay]);
  });

  it('journals who created and who read a patient, from verified token claims', async () => {
    const token = await tokenFor('clerk');
    const { id } = await expectJson(await call('/Patient', { method: 'POST', token, body: { resourceType: 'Patient', gender: 'unknown' } }), 201);
    const readerToken = await tokenFor('nurse');
    await expectJson(await call(`/Patient/${id}`, { token: readerToken }), 200);
    const journal = await journalOf(`Patient/${id}`);
    expect(journal.map((event) => event.action).sort()).toEqual(['C', 'R']);
    const reader = journal.find((event) => event.action === 'R');
    expect(reader?.agent[0]?.who.identifier.value).toBe(decodePayload(readerToken).sub);
    expect(reader?.agent[0]?.role[0]?.coding[0]?.code).toBe('nurse');
  });

  it('refuses the user administrator any patient data with 403, and journals the denial', async () => {
    const token = await tokenFor('user-admin');
    await expectOperationOutcome(await call(`/${tremblay}`, { token }), 403, 'forbidden');
    await expectOperationOutcome(await call('/Patient', { method: 'POST', token, body: { resourceType: 'Patient' } }), 403, 'forbidden');
    await expectOperationOutcome(await call('/Observation/demo-tremblay-glucose-1', { token }), 403, 'forbidden');
    // The patient's journal also holds this suite's unauthenticated attempts (gateway 401s), whose agent has no identifier.
    const denials = (await journalOf(tremblay)).filter((event) => event.outcomeDesc === 'denied');
    expect(denials.map((event) => event.agent[0]?.who.identifier?.value)).toContain(decodePayload(token).sub);
  });

  it('rejects an invalid Patient with 400 and an OperationOutcome naming the element', async () => {
    const token = await tokenFor('physician');
    const outcome = await expectOperationOutcome(await call('/Patient', { method: 'POST', token, body: { resourceType: 'Patient', birthDate: '04/05/1970' } }), 400);
    expect(outcome.issue[0]?.expression).toEqual(['Patient.birthDate']);
  });

  it('answers 404 with an OperationOutcome for an unknown patient, an unknown type and a path no route serves', async () => {
    const token = await tokenFor('physician');
    await expectOperationOutcome(await call('/Patient/does-not-exist', { token }), 404, 'not-found');
    await expectOperationOutcome(await call('/Nothing/here', { token }), 404, 'not-found');
    await expectOperationOutcome(await call('/Patient/demo-roy/_history/1/more', { token }), 404, 'not-supported');
  });

  it('answers 403 at the gateway when the token carries none of the scopes the method accepts', async () => {
    const claims = decodePayload(await tokenFor('physician'));
    const now = Math.floor(Date.now() / 1000);
    const token = signWithCognitoLocalKey({ ...claims, scope: 'openid email', iat: now, exp: now + 600 });
    await expectOperationOutcome(await call(`/${tremblay}`, { token }), 403, 'forbidden');
  });

  describe('without a valid access token: 401 and no data', () => {
    async function expectUnauthorized(token?: string) {
      const response = await call(`/${tremblay}`, { token });
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
      const body = await response.text();
      expect(response.status).toBe(401);
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
      await expectJson<StoredResource>(await call(`/${tremblay}`, { token: signWithCognitoLocalKey({ ...claims, iat: now - 60, exp: now + 600 }) }), 200);
      await expectUnauthorized(signWithCognitoLocalKey({ ...claims, iat: now - 7200, exp: now - 3600 }));
    });

    it('refuses an ID token where an access token is required', async () => {
      const { idToken } = await signIn(stack.info, userWithRole('physician').email, userWithRole('physician').password);
      await expectUnauthorized(idToken);
    });

    it('refuses a token whose issuer is another pool', async () => {
      const claims = decodePayload(await tokenFor('physician'));
      await expectUnauthorized(signWithCognitoLocalKey({ ...claims, iss: `${stack.info.cognito.endpoint}/local_other` }));
    });
  });
});
