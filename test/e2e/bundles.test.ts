import { Client, type FhirResource } from 'fhir-kit-client';
import { beforeAll, describe, expect, it } from 'vitest';
import { bootLocalStack, demoUsers, type Bundle } from '../support/e2e-stack';

/**
 * `POST /` with transaction and batch Bundles, sent by fhir-kit-client's own `transaction` and
 * `batch`, unmodified, as the integration user, through `npm start`'s stack.
 */
const stack = bootLocalStack();
let client: Client;

beforeAll(async () => {
  client = new Client({ baseUrl: stack.info.apiUrl, bearerToken: await stack.token(demoUsers.integration) });
});

const uuid = (n: number) => `urn:uuid:7d1e0000-0000-4000-8000-${String(n).padStart(12, '0')}`;
interface ResponseBundle extends Bundle {
  entry: { response?: { status: string; location?: string; outcome?: { resourceType: string } } }[];
}
const asBundle = (resource: FhirResource) => resource as unknown as ResponseBundle;

function patient(family: string) {
  return { resourceType: 'Patient', name: [{ family }], birthDate: '1980-01-02' };
}

function heartRate(subject: string) {
  return { resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] }, subject: { reference: subject }, valueQuantity: { value: 72, unit: '/min' } };
}

describe('transaction and batch through fhir-kit-client', () => {
  it('commits a transaction whose Observation refers to its Patient by urn:uuid', async () => {
    const body = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: uuid(1), resource: patient('Transaction'), request: { method: 'POST', url: 'Patient' } },
        { fullUrl: uuid(2), resource: heartRate(uuid(1)), request: { method: 'POST', url: 'Observation' } },
      ],
    };
    const response = asBundle(await client.transaction({ body }));
    expect(response.type).toBe('transaction-response');
    expect(response.entry.map((entry) => entry.response?.status)).toEqual(['201 Created', '201 Created']);
    const [patientType, patientId] = (response.entry[0]?.response?.location ?? '').split('/');
    const [, observationId] = (response.entry[1]?.response?.location ?? '').split('/');
    expect(patientType).toBe('Patient');
    const observation = await client.read({ resourceType: 'Observation', id: observationId ?? '' });
    expect(observation).toMatchObject({ subject: { reference: `Patient/${patientId ?? ''}` } });
  });

  it('refuses a whole transaction with an invalid last entry, and writes none of it', async () => {
    const family = `Rollback${Date.now().toString(36)}`;
    const body = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: uuid(1), resource: patient(family), request: { method: 'POST', url: 'Patient' } },
        { fullUrl: uuid(2), resource: { ...heartRate(uuid(1)), status: 'not-a-status' }, request: { method: 'POST', url: 'Observation' } },
      ],
    };
    const error = (await client.transaction({ body }).then(
      () => undefined,
      (reason: unknown) => reason,
    )) as { response?: { status: number; data: { issue: { diagnostics: string }[] } } } | undefined;
    expect(error?.response?.status).toBe(400);
    expect(error?.response?.data.issue[0]?.diagnostics).toContain(`entry[1] (${uuid(2)})`);
    const found = asBundle(await client.search({ resourceType: 'Patient', searchParams: { family } }));
    expect(found.entry ?? []).toHaveLength(0);
  });

  it('answers a batch entry by entry, successes and failures side by side', async () => {
    const body = {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        { resource: patient('Batch'), request: { method: 'POST', url: 'Patient' } },
        { resource: { ...patient('Batch'), gender: 'not-a-gender' }, request: { method: 'POST', url: 'Patient' } },
      ],
    };
    const response = asBundle(await client.batch({ body }));
    expect(response.type).toBe('batch-response');
    expect(response.entry.map((entry) => entry.response?.status)).toEqual(['201 Created', '400 Bad Request']);
    expect(response.entry[1]?.response?.outcome?.resourceType).toBe('OperationOutcome');
  });
});
