import { describe, expect, it } from 'vitest';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { localCredentials } from '../../local/dynamodb';
import { bootLocalStack, demoUsers, expectJson, type ApiRequest } from '../support/e2e-stack';
import { answerOfResponse, expectNoInternals, expectSecurityHeaders, type Answer } from '../support/fuzz';
import { rawRequest } from '../support/raw-http';
import { clientCredentialsToken } from '../support/tokens';

/**
 * Every answer of the local API, whoever gives it (a function or the gateway itself) and whatever
 * its status, success, each kind of refusal and a server error, carries the security headers and,
 * to an allowed browser origin, the CORS headers; every error is a FHIR OperationOutcome. The
 * deployed gateway responses are checked in test/lib/api-stack.test.ts.
 */
const stack = bootLocalStack();
// The dev stage's browser origin, which the local stack allows by default.
const origin = 'http://localhost:5173';

async function answer(path: string, init: ApiRequest = {}): Promise<Answer> {
  return answerOfResponse(await stack.request(path, { ...init, headers: { Origin: origin, ...init.headers } }));
}

/** Security headers always; CORS for the origin (a function echoes it, a gateway response allows any); an OperationOutcome for errors. */
function expectHygienic(answer: Answer, status: number): void {
  expect(answer.status, answer.body.slice(0, 300)).toBe(status);
  expectSecurityHeaders(answer);
  expect([origin, '*']).toContain(answer.headers['access-control-allow-origin']);
  expectNoInternals(answer);
  if (status >= 400) {
    expect(answer.headers['content-type']).toMatch(/^application\/fhir\+json/);
    expect(JSON.parse(answer.body)).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ severity: 'error' }] });
  }
}

const patient = { resourceType: 'Patient', name: [{ family: 'Hygiène' }] };

describe('every answer carries the security headers, CORS for an allowed origin, and an OperationOutcome when it is an error', () => {
  it('successes: 200, 201, 204, 304 and a preflight', async () => {
    const created = await answer('/Patient', { method: 'POST', body: patient });
    expectHygienic(created, 201);
    const { id } = JSON.parse(created.body) as { id: string };
    expectHygienic(await answer(`/Patient/${id}`), 200);
    expectHygienic(await answer(`/Patient/${id}`, { headers: { 'If-None-Match': 'W/"1"' } }), 304);
    expectHygienic(await answer('/metadata', { as: null }), 200);
    expectHygienic(await answer(`/Patient/${id}`, { method: 'DELETE' }), 204);
    const preflight = await answerOfResponse(await fetch(`${stack.info.apiUrl}/Patient`, { method: 'OPTIONS', headers: { Origin: origin, 'Access-Control-Request-Method': 'POST' } }));
    expectHygienic(preflight, 204);
  });

  it('refusals by the functions: 400, 403, 404, 406, 410, 412, 413 and 415', async () => {
    const { id } = await expectJson(await stack.request('/Patient', { method: 'POST', body: patient }), 201);
    expectHygienic(await answer('/Patient', { method: 'POST', body: { resourceType: 'Patient', gender: 'x' } }), 400);
    expectHygienic(await answer('/Patient?colour=blue'), 400);
    expectHygienic(await answer('/Observation', { as: demoUsers.clerk }), 403);
    expectHygienic(await answer('/Patient/no-such-patient'), 404);
    expectHygienic(await answer(`/Patient/${id}`, { headers: { Accept: 'application/fhir+xml' } }), 406);
    expectHygienic(await answer(`/Patient/${id}`, { method: 'PUT', headers: { 'If-Match': 'W/"7"' }, body: { ...patient, id } }), 412);
    expectHygienic(await answer('/Patient', { method: 'POST', body: `{"resourceType":"Patient","name":[{"family":"${'a'.repeat(5 * 1024 * 1024)}"}]}` }), 413);
    expectHygienic(await answer('/Patient', { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify(patient) }), 415);
    await stack.request(`/Patient/${id}`, { method: 'DELETE' });
    expectHygienic(await answer(`/Patient/${id}`), 410);
  });

  it('refusals by the gateway: 401, 403, 404, 405, 413 and a request Node cannot parse', async () => {
    expectHygienic(await answer('/Patient/demo-roy', { as: null }), 401);
    expectHygienic(await answer('/Patient/demo-roy', { as: null, headers: { Authorization: 'Bearer not-a-token' } }), 401);
    const readOnly = await clientCredentialsToken(stack.info, 'dsc-local-integration-read-only');
    expectHygienic(await answer('/Patient', { as: null, method: 'POST', headers: { Authorization: `Bearer ${readOnly}` }, body: patient }), 403);
    expectHygienic(await answer('/no/such/route/here'), 404);
    expectHygienic(await answer('/metadata', { method: 'DELETE' }), 405);
    expectHygienic(await answer('/Patient', { method: 'POST', body: 'x'.repeat(11 * 1024 * 1024) }), 413);
    const port = Number(new URL(stack.info.apiUrl).port);
    const unparsable = await rawRequest(port, Buffer.from(`GET /Patient HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: ${origin}\r\nBad Header: x\r\n`, 'latin1'));
    expectHygienic(unparsable, 400);
  });

  it('a server error: 500 from a function whose record table is gone', async () => {
    // Injected by deleting this file's own stack's record table: every record request now fails inside the function.
    const client = new DynamoDBClient({ endpoint: stack.info.dynamoDb.endpoint, region: 'ca-central-1', credentials: localCredentials });
    await client.send(new DeleteTableCommand({ TableName: stack.info.dynamoDb.tables.record }));
    const failed = await answer('/Patient/demo-roy');
    expectHygienic(failed, 500);
    expect(JSON.parse(failed.body)).toMatchObject({ issue: [{ code: 'exception', diagnostics: expect.stringMatching(/^Internal error; quote request id /) as unknown }] });
  });
});
