import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bootLocalStack, expectOperationOutcome, type Bundle, type StoredResource } from '../support/e2e-stack';

/**
 * Retried creates over HTTP, through `npm start`'s gateway and functions: an Idempotency-Key
 * reaches the write function, and a browser may send it. The handler-level tests in
 * test/lambdas/reliability/ cover each case in depth; racing If-Match updates over HTTP are in
 * http-behaviour.test.ts.
 */
const stack = bootLocalStack();
// The dev stage's browser origin, which the local stack allows by default.
const origin = 'http://localhost:5173';

const patient = (value: string) => ({ resourceType: 'Patient', identifier: [{ system: 'urn:dsc:e2e:reliability', value }], name: [{ family: 'Fiabilité' }] });

describe('Idempotency-Key over HTTP', () => {
  it('answers 30 parallel retries of one keyed create with one resource and the same 201', async () => {
    const value = randomUUID();
    const key = `"${randomUUID()}"`;
    const responses = await Promise.all(Array.from({ length: 30 }, () => stack.request('/Patient', { method: 'POST', body: patient(value), headers: { 'Idempotency-Key': key } })));
    const answers = await Promise.all(responses.map(async (response) => ({ status: response.status, location: response.headers.get('location'), etag: response.headers.get('etag'), body: await response.text() })));

    expect(new Set(answers.map((answer) => JSON.stringify(answer))).size).toBe(1);
    expect(answers[0]?.status).toBe(201);
    const found = (await (await stack.request(`/Patient?identifier=urn:dsc:e2e:reliability|${value}`)).json()) as Bundle;
    expect(found.entry?.map((entry) => entry.resource?.id)).toEqual([(JSON.parse(answers[0]?.body ?? '{}') as StoredResource).id]);
  });

  it('refuses the key with another body with 422', async () => {
    const key = randomUUID();
    expect((await stack.request('/Patient', { method: 'POST', body: patient(randomUUID()), headers: { 'Idempotency-Key': key } })).status).toBe(201);
    await expectOperationOutcome(await stack.request('/Patient', { method: 'POST', body: patient(randomUUID()), headers: { 'Idempotency-Key': key } }), 422, 'processing');
  });

  it('lets a browser app send the header (CORS preflight)', async () => {
    const preflight = await fetch(`${stack.info.apiUrl}/Patient`, { method: 'OPTIONS', headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'idempotency-key' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase().split(',')).toContain('idempotency-key');
  });
});
