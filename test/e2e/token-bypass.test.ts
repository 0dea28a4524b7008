import { createHmac, createSign, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../lambdas/audit/audit-event';
import { bootLocalStack, demoUsers, expectJson, expectOperationOutcome, type StoredResource } from '../support/e2e-stack';
import { journalOf } from '../support/journal';
import { clientCredentialsToken, decodePayload, integrationClient, requestToken, signIn, signWithCognitoLocalKey } from '../support/tokens';

/**
 * Issue 7, "every bypass must be refused, and journaled": through `npm start`'s stack, as a client
 * that knows only stack.json. A 401 is the authorizer's answer, and a 403 for a scope the token
 * lacks the gateway's, both given before any function runs (API Gateway semantics): the gateway
 * refusal journal records each from its access log line. A 403 from the function is journaled
 * by the function. Either way, exactly one AuditEvent per refusal.
 */
const stack = bootLocalStack();
const tremblay = 'Patient/demo-tremblay';
const glucose = 'Observation/demo-tremblay-glucose-1';
const fullIntegration = 'dsc-local-integration';
const readOnlyIntegration = 'dsc-local-integration-read-only';

function callWith(token: string | undefined, path: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}) {
  return stack.request(path, { as: null, method: init.method, body: init.body, headers: { ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }), ...init.headers } });
}

const now = () => Math.floor(Date.now() / 1000);
const base64url = (part: object) => Buffer.from(JSON.stringify(part)).toString('base64url');

/** A physician's access token claims as cognito-local issued them, made valid for ten more minutes. */
async function physicianClaims(): Promise<Record<string, unknown>> {
  return { ...decodePayload(await stack.token(demoUsers.physician)), iat: now(), exp: now() + 600 };
}

/** The one AuditEvent a request adds under a subject, failing if it adds none or more. */
async function addedEntry(subject: string, request: () => Promise<void>): Promise<AuditEvent> {
  const before = new Set((await journalOf(stack.info, subject)).map((event) => event.id));
  await request();
  const added = (await journalOf(stack.info, subject)).filter((event) => !before.has(event.id));
  expect(added, `new entries under ${subject}`).toHaveLength(1);
  return added[0] as AuditEvent;
}

/** What the journal says of a refusal the gateway made: a denial, with its gateway error type. */
function expectGatewayRefusal(event: AuditEvent, expected: { action: string; errorType: string }) {
  expect(event).toMatchObject({ action: expected.action, outcome: '4', outcomeDesc: 'denied' });
  expect(event.extension).toContainEqual({ url: 'urn:dsc:audit:gateway-error', valueString: expected.errorType });
}

/** A JWT with any header, signed by any means: how an attacker would build one. */
function craftedJwt(header: Record<string, unknown>, payload: Record<string, unknown>, sign: (signingInput: string) => string): string {
  const signingInput = `${base64url(header)}.${base64url(payload)}`;
  return `${signingInput}.${sign(signingInput)}`;
}

describe('tokens the authorizer refuses with 401, before any function runs, each journaled under the patient asked for', () => {
  /**
   * Sends the token to read a patient, and checks the 401 gives no data and adds exactly one entry
   * to the patient's journal: a denied read by an unauthenticated caller, known by its address.
   */
  async function expectUnauthorized(token: string | undefined) {
    const entry = await addedEntry(tremblay, async () => {
      const response = await callWith(token, `/${tremblay}`);
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
      const outcome = await expectOperationOutcome(response, 401, 'login');
      expect(JSON.stringify(outcome)).not.toContain('Tremblay');
    });
    expectGatewayRefusal(entry, { action: 'R', errorType: 'UNAUTHORIZED' });
    expect(entry.entity?.[0]?.what).toEqual({ reference: tremblay });
    const [agent] = entry.agent;
    expect(agent).toMatchObject({ who: { display: 'unauthenticated' }, network: { address: expect.stringMatching(/127\.0\.0\.1$/) as string } });
    // The token was not verified: nothing it claims is taken as the caller's identity.
    expect(agent?.who?.identifier).toBeUndefined();
    expect(agent?.policy).toBeUndefined();
  }

  it('lets the control through: the same physician claims, freshly signed with the pool key, read the patient', async () => {
    await expectJson(await callWith(signWithCognitoLocalKey(await physicianClaims()), `/${tremblay}`), 200);
  });

  it('refuses a request with no token, or with an empty or non-Bearer Authorization header', async () => {
    await expectUnauthorized(undefined);
    await expectUnauthorized('');
    await expectUnauthorized('not-a-jwt');
  });

  it('refuses an expired token', async () => {
    await expectUnauthorized(signWithCognitoLocalKey({ ...(await physicianClaims()), iat: now() - 7200, exp: now() - 3600 }));
  });

  it('refuses a token from another pool of the same emulator, and from another issuer', async () => {
    const claims = await physicianClaims();
    await expectUnauthorized(signWithCognitoLocalKey({ ...claims, iss: `${stack.info.cognito.endpoint}/local_0ther` }));
    await expectUnauthorized(signWithCognitoLocalKey({ ...claims, iss: 'https://cognito-idp.ca-central-1.amazonaws.com/ca-central-1_AbCdEf123' }));
  });

  it('refuses a token issued to an app client the API does not accept', async () => {
    await expectUnauthorized(signWithCognitoLocalKey({ ...(await physicianClaims()), client_id: 'another-app-client' }));
  });

  it('refuses an ID token in place of an access token', async () => {
    const physician = stack.info.users.find((user) => user.email === demoUsers.physician);
    if (!physician) throw new Error('no demo physician in stack.json');
    const { idToken } = await signIn(stack.info, physician.email, physician.password);
    expect(decodePayload(idToken).token_use).toBe('id');
    await expectUnauthorized(idToken);
  });

  it('refuses a token whose signature was tampered with, and one whose payload was (groups added)', async () => {
    const token = await stack.token(demoUsers.clerk);
    const [header = '', payload = '', signature = ''] = token.split('.');
    const flipped = Buffer.from(signature, 'base64url');
    flipped[10] = (flipped[10] ?? 0) ^ 0xff;
    await expectUnauthorized(`${header}.${payload}.${flipped.toString('base64url')}`);
    await expectUnauthorized(`${header}.${base64url({ ...decodePayload(token), 'cognito:groups': ['physician'] })}.${signature}`);
  });

  it("refuses alg none, and HS256 keyed with the pool's public key", async () => {
    const claims = await physicianClaims();
    await expectUnauthorized(craftedJwt({ alg: 'none', typ: 'JWT' }, claims, () => ''));
    await expectUnauthorized(craftedJwt({ alg: 'none', typ: 'JWT', kid: 'CognitoLocal' }, claims, () => ''));
    const { pem } = JSON.parse(readFileSync(require.resolve('cognito-local/lib/keys/cognitoLocal.public.json'), 'utf8')) as { pem: string };
    await expectUnauthorized(craftedJwt({ alg: 'HS256', typ: 'JWT', kid: 'CognitoLocal' }, claims, (input) => createHmac('sha256', pem).update(input).digest('base64url')));
  });

  it('refuses a token signed by a key that is not in the JWKS, under an unknown kid or under the pool key id', async () => {
    const claims = await physicianClaims();
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const signWithForeignKey = (input: string) => createSign('RSA-SHA256').update(input).sign(privateKey, 'base64url');
    await expectUnauthorized(craftedJwt({ alg: 'RS256', typ: 'JWT', kid: 'attacker-key' }, claims, signWithForeignKey));
    await expectUnauthorized(craftedJwt({ alg: 'RS256', typ: 'JWT', kid: 'CognitoLocal' }, claims, signWithForeignKey));
  });
});

describe('nothing in the request can grant a role, a scope or an identity: 403, journaled by the function', () => {
  const clerkSub = async () => String(decodePayload(await stack.token(demoUsers.clerk)).sub);
  /**
   * The clerk's denials in the journals named: a denial decided before the resource is read is kept
   * under the resource (or its type, for a create) rather than under a patient it does not know yet.
   */
  const deniedToClerk = async (...journals: string[]) => {
    const sub = await clerkSub();
    const events = (await Promise.all(journals.map((journal) => journalOf(stack.info, journal)))).flat();
    return events.filter((event) => event.outcomeDesc === 'denied' && event.agent[0]?.who?.identifier?.value === sub);
  };
  const rolesOf = (event: AuditEvent) => event.agent[0]?.role?.map((role) => role.coding?.[0]?.code);

  it('refuses a clerk who claims clinical roles in headers and in the query string, and journals each denial under the clerk alone', async () => {
    const token = await stack.token(demoUsers.clerk);
    const before = (await deniedToClerk(tremblay, glucose)).length;
    // A header cannot be named `cognito:groups` (':' is not allowed in a field name), so its look-alikes stand in for it.
    const smuggledHeaders: Record<string, string>[] = [
      { 'X-Roles': 'physician' },
      { 'X-Cognito-Groups': 'physician,nurse' },
      { 'X-Amzn-Oidc-Data': signWithCognitoLocalKey({ 'cognito:groups': ['physician'], scope: 'dsc-fhir/fhir.write' }) },
      { 'X-Claims': JSON.stringify({ 'cognito:groups': ['physician'], practitioner: 'Practitioner/demo-medecin' }) },
    ];
    for (const headers of smuggledHeaders) await expectOperationOutcome(await callWith(token, `/${glucose}`, { headers }), 403, 'forbidden');
    const smuggledQuery = new URLSearchParams({ 'cognito:groups': 'physician', scope: 'dsc-fhir/fhir.read', 'requestContext.authorizer.claims.cognito:groups': 'physician' });
    await expectOperationOutcome(await callWith(token, `/${glucose}?${smuggledQuery.toString()}`), 403, 'forbidden');

    const denials = await deniedToClerk(tremblay, glucose);
    expect(denials).toHaveLength(before + smuggledHeaders.length + 1);
    for (const denial of denials) expect(rolesOf(denial)).toEqual(['clerk']);
  });

  it('refuses a clerk whose request body claims a clinical role, and journals the denied create', async () => {
    const token = await stack.token(demoUsers.clerk);
    const before = (await deniedToClerk(tremblay, 'Observation')).length;
    const observation = {
      resourceType: 'Observation',
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '29463-7', display: 'Body weight' }] },
      subject: { reference: tremblay },
      valueQuantity: { value: 61.5, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' },
      meta: { security: [{ system: 'urn:dsc:role', code: 'physician' }] },
      extension: [{ url: 'urn:dsc:claims', valueString: '{"cognito:groups":["physician"],"scope":"dsc-fhir/fhir.write"}' }],
    };
    await expectOperationOutcome(await callWith(token, '/Observation', { method: 'POST', body: observation, headers: { 'X-Roles': 'physician' } }), 403, 'forbidden');
    const denials = await deniedToClerk(tremblay, 'Observation');
    expect(denials).toHaveLength(before + 1);
    expect(denials.map((event) => event.action)).toContain('C');
    for (const denial of denials) expect(rolesOf(denial)).toEqual(['clerk']);
  });

  it('does not let a user sign-in token through on the Cognito sign-in scope alone: only this API scopes are accepted (403 at the gateway, journaled)', async () => {
    // Without its username claim the gateway does not run the pre-token-generation step on it, so it keeps cognito-local's scope.
    const claims = await physicianClaims();
    delete claims.username;
    expect(claims.scope).toBe('aws.cognito.signin.user.admin');
    const entry = await addedEntry(tremblay, async () => {
      await expectOperationOutcome(await callWith(signWithCognitoLocalKey(claims), `/${tremblay}`), 403, 'forbidden');
    });
    expectGatewayRefusal(entry, { action: 'R', errorType: 'ACCESS_DENIED' });
    // The token was valid: the refusal names its subject and client.
    expect(entry.agent[0]).toMatchObject({ who: { identifier: { value: claims.sub } }, policy: [`urn:dsc:client:${String(claims.client_id)}`] });
  });
});

describe('system integrations: client credentials at the local token endpoint, limited by their scopes', () => {
  it('issues a Cognito-shaped access token: the client as subject, no user, no groups, the allowed scopes', async () => {
    const client = integrationClient(stack.info, fullIntegration);
    const response = await requestToken(stack.info, client);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = await expectJson<{ access_token: string; token_type: string; expires_in: number }>(response, 200);
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    const claims = decodePayload(body.access_token);
    expect(claims).toMatchObject({ sub: client.clientId, client_id: client.clientId, token_use: 'access', iss: `${stack.info.cognito.endpoint}/${stack.info.cognito.userPoolId}` });
    expect(String(claims.scope).split(' ').sort()).toEqual(['dsc-fhir/fhir.read', 'dsc-fhir/fhir.write']);
    expect(claims).not.toHaveProperty('username');
    expect(claims).not.toHaveProperty('cognito:groups');
  });

  it('refuses a wrong secret, a scope the client is not allowed, and another grant, as Cognito does (400)', async () => {
    const readOnly = integrationClient(stack.info, readOnlyIntegration);
    const oauthError = async (response: Response) => (await expectJson<{ error: string }>(response, 400)).error;
    expect(await oauthError(await requestToken(stack.info, { ...readOnly, clientSecret: `${readOnly.clientSecret}x` }))).toBe('invalid_client');
    expect(await oauthError(await requestToken(stack.info, { ...readOnly, clientId: 'no-such-client' }))).toBe('invalid_client');
    expect(await oauthError(await requestToken(stack.info, readOnly, { grant_type: 'client_credentials', scope: 'dsc-fhir/fhir.write' }))).toBe('invalid_scope');
    expect(await oauthError(await requestToken(stack.info, readOnly, { grant_type: 'password', username: demoUsers.physician, password: 'x' }))).toBe('unsupported_grant_type');
  });

  it('lets the read-write integration client create a patient and read it back, journaled as a system agent', async () => {
    const token = await clientCredentialsToken(stack.info, fullIntegration);
    const created = await expectJson<StoredResource>(await callWith(token, '/Patient', { method: 'POST', body: { resourceType: 'Patient', name: [{ family: 'Système' }] } }), 201);
    await expectJson(await callWith(token, `/Patient/${created.id}`), 200);
    const journal = await journalOf(stack.info, `Patient/${created.id}`);
    expect(journal.map((event) => event.action).sort()).toEqual(['C', 'R']);
    for (const event of journal) {
      expect(event.agent[0]?.type?.coding?.[0]?.code).toBe('dataprocessor');
      expect(event.agent[0]?.policy).toEqual([`urn:dsc:client:${integrationClient(stack.info, fullIntegration).clientId}`]);
    }
  });

  it('lets the read-only integration client read, and refuses its writes with 403 at the gateway (no function runs), each journaled with the client as agent', async () => {
    const token = await clientCredentialsToken(stack.info, readOnlyIntegration);
    const { clientId } = integrationClient(stack.info, readOnlyIntegration);
    expect(decodePayload(token).scope).toBe('dsc-fhir/fhir.read');
    const roy = await expectJson(await callWith(token, '/Patient/demo-roy'), 200);
    const update = await addedEntry('Patient/demo-roy', async () => {
      await expectOperationOutcome(await callWith(token, '/Patient/demo-roy', { method: 'PUT', body: { ...roy, gender: 'other' } }), 403, 'forbidden');
    });
    // A create names no resource yet: journaled under its type, as the function journals a denied create.
    const create = await addedEntry('Patient', async () => {
      await expectOperationOutcome(await callWith(token, '/Patient', { method: 'POST', body: { resourceType: 'Patient' } }), 403, 'forbidden');
    });
    expectGatewayRefusal(update, { action: 'U', errorType: 'ACCESS_DENIED' });
    expectGatewayRefusal(create, { action: 'C', errorType: 'ACCESS_DENIED' });
    for (const entry of [update, create]) {
      expect(entry.agent[0]).toMatchObject({ who: { identifier: { value: clientId } }, policy: [`urn:dsc:client:${clientId}`], type: { coding: [{ code: 'dataprocessor' }] } });
    }
  });
});

describe('staff accounts and their Practitioner', () => {
  it('links every demo account in stack.json to a Practitioner that exists and names the account', async () => {
    expect(stack.info.users.length).toBeGreaterThanOrEqual(9);
    for (const user of stack.info.users) {
      expect(user.practitioner).toMatch(/^Practitioner\/[A-Za-z0-9\-.]+$/);
      const practitioner = await stack.read(user.practitioner);
      expect(practitioner.identifier).toContainEqual(expect.objectContaining({ value: user.email }));
    }
    expect(stack.info.users.filter((user) => user.roles.includes('physician')).map((user) => user.practitioner)).toHaveLength(2);
  });

  it("journals a staff read under the account's email and linked Practitioner, which the gateway adds as the deployed trigger would", async () => {
    const physician = stack.info.users.find((user) => user.email === demoUsers.physician);
    if (!physician) throw new Error('no demo physician in stack.json');
    const token = await stack.token(physician.email);
    // cognito-local's token carries neither: the claims come from the account, not from the request.
    expect(decodePayload(token)).not.toHaveProperty('practitioner');
    await expectJson(await callWith(token, `/${tremblay}`, { headers: { 'X-Practitioner': 'Practitioner/demo-medecin2' } }), 200);
    const sub = String(decodePayload(token).sub);
    const reads = (await journalOf(stack.info, tremblay)).filter((event) => event.action === 'R' && event.agent[0]?.who?.identifier?.value === sub);
    expect(reads.at(-1)?.agent[0]?.who).toMatchObject({ reference: physician.practitioner, display: physician.email });
  });
});
