import type { Answer, FhirClient } from './client';
import { isSuccess, type Ledger, type TrackedResource } from './ledger';

export interface Clients {
  /** Does the clinical work: creates, reads, updates, searches. */
  readonly physician: FhirClient;
  /** Reads clinical data it may not see: the denied read. */
  readonly clerk: FhirClient;
}

interface Stored {
  readonly id?: string;
  readonly meta?: { readonly versionId?: string };
}

type Operation = (clients: Clients, ledger: Ledger, run: string) => Promise<void>;

const observationCode = { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }] };

function observationFor(patientReference: string) {
  return {
    resourceType: 'Observation',
    status: 'final',
    code: observationCode,
    subject: { reference: patientReference },
    valueQuantity: { value: 60 + Math.floor(Math.random() * 40), unit: 'beats/minute', system: 'http://unitsofmeasure.org', code: '/min' },
  };
}

function patientBody(run: string, given: string) {
  return { resourceType: 'Patient', name: [{ family: soakFamily(run), given: [given] }], birthDate: '1970-01-01' };
}

/** Every soak patient bears this family name, so a search finds them and nothing else. */
export function soakFamily(run: string): string {
  return `Soak${run}`;
}

const versionOf = (body: unknown) => Number((body as Stored | undefined)?.meta?.versionId ?? Number.NaN);

async function createPatient({ physician }: Clients, ledger: Ledger, run: string): Promise<void> {
  const answer = await physician.send('POST', '/Patient', { body: patientBody(run, 'Création') });
  const id = (answer.body as Stored | undefined)?.id;
  ledger.record('create Patient', answer, [201], id === undefined ? undefined : `Patient/${id}`);
  if (answer.status === 201 && id !== undefined) ledger.created('Patient', id);
}

/** Operations that need a patient first create one when there is none yet. */
function withPatient(operation: (clients: Clients, ledger: Ledger, patient: TrackedResource, run: string) => Promise<void>): Operation {
  return async (clients, ledger, run) => {
    const patient = ledger.any('Patient');
    if (patient) await operation(clients, ledger, patient, run);
    else await createPatient(clients, ledger, run);
  };
}

const readPatient = withPatient(async ({ physician }, ledger, patient) => {
  const answer = await physician.send('GET', `/Patient/${patient.id}`);
  ledger.record('read Patient', answer, [200], `Patient/${patient.id}`);
});

/** If-Match names the last version this soak saw; a concurrent writer may have moved on, and then 412 is the right answer. */
const updatePatient = withPatient(async ({ physician }, ledger, patient, run) => {
  const body = { ...patientBody(run, `Mise à jour ${patient.version + 1}`), id: patient.id };
  const answer = await physician.send('PUT', `/Patient/${patient.id}`, { body, headers: { 'If-Match': `W/"${patient.version}"` } });
  ledger.record('update Patient (If-Match)', answer, [200, 412], `Patient/${patient.id}`);
  if (isSuccess(answer.status)) ledger.updated(patient, versionOf(answer.body));
});

const createObservation = withPatient(async ({ physician }, ledger, patient) => {
  const answer = await physician.send('POST', '/Observation', { body: observationFor(`Patient/${patient.id}`) });
  ledger.record('create Observation', answer, [201], `Patient/${patient.id}`);
  const id = (answer.body as Stored | undefined)?.id;
  if (answer.status === 201 && id !== undefined) ledger.created('Observation', id);
});

async function searchPatients({ physician }: Clients, ledger: Ledger, run: string): Promise<void> {
  ledger.record('search Patient', await physician.send('GET', `/Patient?family=${soakFamily(run)}&_count=20`), [200]);
}

const everything = withPatient(async ({ physician }, ledger, patient) => {
  const answer = await physician.send('GET', `/Patient/${patient.id}/$everything`);
  ledger.record('Patient $everything', answer, [200], `Patient/${patient.id}`);
});

/** A Patient and an Observation that points at it through its urn:uuid: both commit or neither does. */
async function transaction({ physician }: Clients, ledger: Ledger, run: string): Promise<void> {
  const patientUrn = `urn:uuid:${crypto.randomUUID()}`;
  const bundle = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      { fullUrl: patientUrn, resource: patientBody(run, 'Transaction'), request: { method: 'POST', url: 'Patient' } },
      { resource: observationFor(patientUrn), request: { method: 'POST', url: 'Observation' } },
    ],
  };
  const answer = await physician.send('POST', '/', { body: bundle });
  const [patientId, observationId] = createdIds(answer);
  // A 200 whose response does not name both created resources is as wrong as an error status.
  ledger.record('transaction (Patient + Observation)', answer, patientId !== undefined && observationId !== undefined ? [200] : [], patientId === undefined ? undefined : `Patient/${patientId}`);
  if (answer.status !== 200 || patientId === undefined || observationId === undefined) return;
  ledger.created('Patient', patientId);
  ledger.created('Observation', observationId);
}

/** The ids in a transaction-response's `response.location` (`Type/id/_history/n`), in entry order. */
export function createdIds(answer: Answer): (string | undefined)[] {
  const entries = (answer.body as { entry?: { response?: { location?: string } }[] } | undefined)?.entry ?? [];
  return entries.map((entry) => entry.response?.location?.split('/')[1]);
}

/**
 * A clerk registers patients but sees no clinical data: reading an Observation must be refused, and
 * journaled. The role check comes before the read, so the entry names the Observation, not its patient.
 */
async function deniedRead(clients: Clients, ledger: Ledger, run: string): Promise<void> {
  const observation = ledger.any('Observation');
  if (!observation) return createObservation(clients, ledger, run);
  const answer = await clients.clerk.send('GET', `/Observation/${observation.id}`);
  ledger.record('denied read (clerk, Observation)', answer, [403], `Observation/${observation.id}`);
}

const badInputs = ['{"resourceType":"Patient","birthDate":"soon"}', '{"resourceType":"Patient",', '{"resourceType":"Patient","name":"not a list"}', '[]'];

async function badInput({ physician }: Clients, ledger: Ledger): Promise<void> {
  const raw = badInputs[Math.floor(Math.random() * badInputs.length)];
  ledger.record('bad input (POST /Patient)', await physician.send('POST', '/Patient', { raw }), [400]);
}

/** The mix, by weight: mostly reads and writes of patients, with each kind of awkward request represented. */
export const mix: readonly { readonly weight: number; readonly run: Operation }[] = [
  { weight: 14, run: createPatient },
  { weight: 20, run: readPatient },
  { weight: 14, run: updatePatient },
  { weight: 10, run: createObservation },
  { weight: 10, run: searchPatients },
  { weight: 8, run: everything },
  { weight: 8, run: transaction },
  { weight: 8, run: deniedRead },
  { weight: 8, run: (clients, ledger) => badInput(clients, ledger) },
];

/** The operation at this point (0 ≤ random < 1) of the weighted mix. */
export function pickOperation(random: number): Operation {
  const total = mix.reduce((sum, entry) => sum + entry.weight, 0);
  let point = random * total;
  const picked = mix.find((entry) => (point -= entry.weight) < 0) ?? mix[mix.length - 1];
  if (!picked) throw new Error('soak: the mix is empty');
  return picked.run;
}
