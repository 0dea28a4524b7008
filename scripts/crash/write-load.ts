import { randomUUID } from 'node:crypto';
import type { Answer, FhirClient } from '../soak/client';

/** Identifier systems that mark what the crash check wrote, so the check can find it again in the table. */
export const markers = {
  single: 'urn:dsc:crash-check:single',
  /** Shared by every entry of one transaction: after the crash, all of them or none must exist. */
  transaction: 'urn:dsc:crash-check:transaction',
} as const;

/** Entries per transaction: a Patient and the Observations that reference it. */
export const transactionSize = 4;

/** A write the API acknowledged (a 2xx fully received): it must survive. */
export interface Acknowledged {
  readonly reference: string;
  readonly versionId: number;
  /** Read after the kill was sent: the server answered in its last instant, the write was in flight at the kill. */
  readonly inFlight: boolean;
}

export interface WriteLedger {
  readonly acknowledged: Acknowledged[];
  /** Every transaction sent, by marker value; true once acknowledged. */
  readonly transactions: Map<string, boolean>;
  /** Patients whose create was acknowledged, with the last version this load saw (for If-Match). */
  readonly patients: { id: string; version: number }[];
  requests: number;
  failures: number;
  /** Set as the kill is sent. */
  killSent: boolean;
}

interface Stored {
  readonly resourceType?: string;
  readonly id?: string;
  readonly meta?: { readonly versionId?: string };
}

function patient(marker: { system: string; value: string }, given: string) {
  return { resourceType: 'Patient', identifier: [marker], name: [{ family: 'Crashtest', given: [given] }] };
}

function observation(marker: { system: string; value: string }, subject: string, value: number) {
  return {
    resourceType: 'Observation',
    identifier: [marker],
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
    subject: { reference: subject },
    valueQuantity: { value, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
  };
}

function acknowledge(ledger: WriteLedger, answer: Answer): Stored | undefined {
  if (answer.status < 200 || answer.status >= 300) return undefined;
  const body = answer.body as Stored | undefined;
  if (body?.resourceType && body.id) ledger.acknowledged.push({ reference: `${body.resourceType}/${body.id}`, versionId: Number(body.meta?.versionId), inFlight: ledger.killSent });
  return body;
}

/** A conditional create (If-None-Exist on its own identifier): its guard item must not outlive a lost write. */
async function createPatient(client: FhirClient, ledger: WriteLedger): Promise<void> {
  const marker = { system: markers.single, value: randomUUID() };
  const answer = await client.send('POST', '/Patient', { body: patient(marker, 'Création'), headers: { 'If-None-Exist': `identifier=${marker.system}|${marker.value}` } });
  const body = acknowledge(ledger, answer);
  if (body?.id) ledger.patients.push({ id: body.id, version: Number(body.meta?.versionId) });
}

async function updatePatient(client: FhirClient, ledger: WriteLedger): Promise<void> {
  const target = ledger.patients[Math.floor(Math.random() * ledger.patients.length)];
  if (!target) return createPatient(client, ledger);
  const body = { ...patient({ system: markers.single, value: randomUUID() }, `Version ${target.version + 1}`), id: target.id };
  const answer = await client.send('PUT', `/Patient/${target.id}`, { body, headers: { 'If-Match': `W/"${target.version}"` } });
  const stored = acknowledge(ledger, answer);
  if (stored) target.version = Math.max(target.version, Number(stored.meta?.versionId));
}

async function transaction(client: FhirClient, ledger: WriteLedger): Promise<void> {
  const marker = { system: markers.transaction, value: randomUUID() };
  const patientUrn = `urn:uuid:${randomUUID()}`;
  const bundle = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      { fullUrl: patientUrn, resource: patient(marker, 'Transaction'), request: { method: 'POST', url: 'Patient' } },
      ...Array.from({ length: transactionSize - 1 }, (_, i) => ({ resource: observation(marker, patientUrn, 60 + i), request: { method: 'POST', url: 'Observation' } })),
    ],
  };
  ledger.transactions.set(marker.value, false);
  const answer = await client.send('POST', '/', { body: bundle });
  if (answer.status !== 200) return;
  ledger.transactions.set(marker.value, true);
  const entries = (answer.body as { entry?: { response?: { location?: string } }[] }).entry ?? [];
  for (const entry of entries) {
    const [type, id, , version] = entry.response?.location?.split('/') ?? [];
    if (type && id) ledger.acknowledged.push({ reference: `${type}/${id}`, versionId: Number(version), inFlight: ledger.killSent });
  }
}

const operations = [createPatient, updatePatient, updatePatient, transaction, transaction];

/** Writers that run until the kill is sent; a request cut by the kill is simply not acknowledged. */
export async function writeLoad(client: FhirClient, ledger: WriteLedger, concurrency: number): Promise<void> {
  const writer = async () => {
    while (!ledger.killSent) {
      const operation = operations[Math.floor(Math.random() * operations.length)] as (typeof operations)[number];
      ledger.requests += 1;
      await operation(client, ledger).catch(() => {
        ledger.failures += 1;
      });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, writer));
}

export function emptyLedger(): WriteLedger {
  return { acknowledged: [], transactions: new Map(), patients: [], requests: 0, failures: 0, killSent: false };
}
