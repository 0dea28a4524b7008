import { describe, expect, it } from 'vitest';
import { allPages, bootLocalStack, eventually, expectJson, expectOperationOutcome, expectStatus, matchedIds, practitionerOf, type Bundle, type StoredResource } from '../support/e2e-stack';
import { restrictionDenying } from '../support/restrictions';

/**
 * Logs carry no PHI: a local stack with every function logging at DEBUG serves a full clinical
 * workload about patients with distinctive names, birth dates and identifiers (creates, reads,
 * searches, $everything, a transaction, refusals that could echo values, a denied read and a
 * break-glass read whose reason names the patient). Then everything the stack printed (its own
 * lines, the gateway's request lines and every function's structured logs) is searched for them.
 */
const stack = bootLocalStack({ env: { POWERTOOLS_LOG_LEVEL: 'DEBUG' } });

const ramq = 'https://fhir.infoway-inforoute.ca/NamingSystem/ca-qc-patient-healthcare-id';
const mrn = 'urn:dsc:e2e:phi-mrn';
const physician = 'medecin@dsc.local';
const privacyOfficer = 'vie-privee@dsc.local';

/** Values no log line may hold, and which nothing else on this stack holds. */
const phi = {
  family: 'Qwyzzlethorpe',
  given: 'Ximenalda',
  birthDate: '1931-07-19',
  mrn: 'MRN-PHI-770431',
  nam: 'QWYX31571912', // a woman born 1931-07-19: month 07 + 50
  secondFamily: 'Vrokkensby',
  secondBirthDate: '1944-02-29',
  secondMrn: 'MRN-PHI-118305',
};

const patientBody = {
  resourceType: 'Patient',
  name: [{ family: phi.family, given: [phi.given] }],
  birthDate: phi.birthDate,
  gender: 'female',
  identifier: [
    { system: mrn, value: phi.mrn },
    { system: ramq, value: phi.nam },
  ],
};

async function workload(): Promise<void> {
  const patient = await expectJson(await stack.request('/Patient', { method: 'POST', body: patientBody }), 201);
  const subject = { reference: `Patient/${patient.id}` };

  // Reads, as the physician.
  await expectStatus(await stack.request(`/Patient/${patient.id}`, { as: physician }), 200);
  await expectStatus(await stack.request(`/Patient/${patient.id}/_history/1`, { as: physician }), 200);
  await expectStatus(await stack.request(`/Patient/${patient.id}/_history`, { as: physician }), 200);

  // Searches by every PHI value: read-your-writes identifiers at once, names and birth dates once indexed.
  const byIdentifier = (await allPages(stack, `/Patient?identifier=${encodeURIComponent(`${mrn}|${phi.mrn}`)}`, { as: physician })).entries;
  expect(matchedIds(byIdentifier)).toEqual([patient.id]);
  await expectStatus(await stack.request(`/Patient?identifier=${encodeURIComponent(`${ramq}|${phi.nam}`)}`, { as: physician }), 200);
  await eventually(async () => {
    const { entries } = await allPages(stack, `/Patient?name=${phi.family}&birthdate=${phi.birthDate}`, { as: physician });
    expect(matchedIds(entries)).toEqual([patient.id]);
  });
  await expectStatus(await stack.request(`/Patient?family=${phi.family.slice(0, 6).toLowerCase()}&given:exact=${phi.given}`, { as: physician }), 200);
  const form = new URLSearchParams({ name: phi.family, birthdate: `ge${phi.birthDate}` }).toString();
  await expectStatus(await stack.request('/Patient/_search', { method: 'POST', as: physician, headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: form }), 200);

  // A transaction: a second patient and an Observation about each.
  const observation = (reference: string, text: string) => ({ resourceType: 'Observation', status: 'final', code: { text }, subject: { reference } });
  const transaction = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      {
        fullUrl: 'urn:uuid:8e0f6a52-4f3e-4f8e-9d7c-3a1b2c3d4e5f',
        resource: { resourceType: 'Patient', name: [{ family: phi.secondFamily }], birthDate: phi.secondBirthDate, identifier: [{ system: mrn, value: phi.secondMrn }] },
        request: { method: 'POST', url: 'Patient', ifNoneExist: `identifier=${mrn}|${phi.secondMrn}` },
      },
      { resource: observation('urn:uuid:8e0f6a52-4f3e-4f8e-9d7c-3a1b2c3d4e5f', 'Pouls'), request: { method: 'POST', url: 'Observation' } },
      { resource: observation(subject.reference, 'Tension'), request: { method: 'POST', url: 'Observation' } },
    ],
  };
  const committed = await expectJson<Bundle>(await stack.request('/', { method: 'POST', body: transaction }), 200);
  expect(committed.type).toBe('transaction-response');
  await expectStatus(await stack.request(`/Patient/${patient.id}/$everything`, { as: physician }), 200);

  // Refusals whose diagnostics may name the values; they must go to the client only.
  const refused = async (path: string, status: number, init: Parameters<typeof stack.request>[1]) => expectOperationOutcome(await stack.request(path, init), status);
  await refused('/Patient', 400, { method: 'POST', body: { ...patientBody, identifier: [{ system: ramq, value: phi.nam.replace('57', '13') }] } });
  await refused('/Patient', 400, { method: 'POST', body: { ...patientBody, gender: phi.family } });
  await refused('/Patient', 400, { method: 'POST', body: { ...patientBody, birthDate: `${phi.birthDate}T25:00` } });
  await refused('/Patient', 400, { method: 'POST', body: { ...patientBody, name: [{ family: `${phi.family}\u0000` }] } });
  await refused(`/Patient/${patient.id}`, 400, { method: 'PUT', body: { ...patientBody, id: phi.mrn } });
  await refused(`/Patient/${patient.id}`, 422, {
    method: 'PATCH',
    headers: { 'Content-Type': 'application/json-patch+json' },
    body: JSON.stringify([{ op: 'replace', path: '/birthDate', value: `${phi.given}-${phi.birthDate}` }]),
  });
  await refused(`/Patient?nmae=${phi.family}`, 400, { as: physician });
  await refused(`/Patient?birthdate=${phi.family}`, 400, { as: physician });
  await refused(`/Patient/${phi.mrn}`, 404, { as: physician });
  // A clerk has no clinical access: a role refusal of a search naming the patient.
  await refused(`/Observation?subject.identifier=${encodeURIComponent(`${mrn}|${phi.mrn}`)}`, 403, { as: 'commis@dsc.local' });

  // A restriction: the privacy officer hides an Observation from the physician, who is denied, then breaks the glass.
  const hidden = await expectJson<StoredResource>(await stack.request('/Observation', { method: 'POST', body: observation(subject.reference, 'Charge virale') }), 201);
  await expectStatus(
    await stack.request('/Consent', { method: 'POST', as: privacyOfficer, body: restrictionDenying(practitionerOf(stack, physician), `Observation/${hidden.id}`, subject) }),
    201,
  );
  await expectOperationOutcome(await stack.request(`/Observation/${hidden.id}`, { as: physician }), 403);
  const reason = encodeURIComponent(`Urgence : ${phi.given} ${phi.family}, née le ${phi.birthDate}, inconsciente`);
  await expectStatus(await stack.request(`/Observation/${hidden.id}`, { as: physician, headers: { 'X-Break-Glass-Reason': reason } }), 200);
  await expectStatus(await stack.request(`/Patient/${patient.id}/$everything`, { as: physician, headers: { 'X-Break-Glass-Reason': reason } }), 200);

  // Without a token: refused by the gateway, whose refusal is journaled.
  await expectOperationOutcome(await stack.request(`/Patient?name=${phi.family}`, { as: null }), 401);
}

describe('logs', () => {
  it('hold no patient name, birth date or identifier value after a full workload, though every function logs at DEBUG', async () => {
    await workload();
    // Function logs cross a worker thread to the stack's stdout; give the last ones a moment.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const logs = stack.output();

    // The capture is real: the gateway's request lines and the functions' structured logs are in it.
    expect(logs).toMatch(/GET \/\{type\}\/\{id\} 200/);
    expect(logs).toContain('"message":"served"');
    expect(logs).toContain('"alert":"break-glass"');

    const compact = (date: string) => date.replaceAll('-', '');
    const forbidden = [phi.family, phi.given, phi.mrn, phi.nam, phi.secondFamily, phi.secondMrn, phi.birthDate, compact(phi.birthDate), phi.secondBirthDate, compact(phi.secondBirthDate)];
    const lower = logs.toLowerCase();
    const leaks = forbidden.filter((value) => lower.includes(value.toLowerCase()) || lower.includes(encodeURIComponent(value).toLowerCase()));
    const lines = logs.split('\n').filter((line) => leaks.some((value) => line.toLowerCase().includes(value.toLowerCase())));
    expect(leaks, `log lines with PHI:\n${lines.slice(0, 10).join('\n')}`).toEqual([]);
  });
});
