import { describe, expect, it } from 'vitest';
import { allPages, bootLocalStack, expectJson, expectOperationOutcome, expectStatus, type Bundle } from '../support/e2e-stack';

/**
 * The privacy officers' journal through `npm start`'s stack: after a physician reads a patient,
 * the privacy officer finds that access with GET /AuditEvent and in the patient's access report;
 * clinical and clerical roles are refused; AuditEvent cannot be written through the API.
 */
const stack = bootLocalStack();
const privacyOfficer = 'vie-privee@dsc.local';
const physician = 'medecin@dsc.local';
const clerk = 'commis@dsc.local';

interface JournalEntry {
  readonly resourceType: string;
  readonly id: string;
  readonly recorded: string;
  readonly subtype?: readonly { readonly code?: string }[];
  readonly outcomeDesc?: string;
  readonly agent: readonly { readonly who?: { readonly display?: string; readonly identifier?: { readonly value?: string } }; readonly role?: readonly { readonly coding?: readonly { readonly code?: string }[] }[] }[];
  readonly entity?: readonly { readonly what?: { readonly reference?: string; readonly display?: string } }[];
  readonly text?: { readonly div: string };
}

const events = (bundle: Bundle) => (bundle.entry ?? []).map((entry) => entry.resource as unknown as JournalEntry);
const roleCodes = (event: JournalEntry) => (event.agent[0]?.role ?? []).flatMap((role) => role.coding?.map((coding) => coding.code) ?? []);

describe('the access journal', () => {
  it('lets the privacy officer list the AuditEvents of a patient a physician has just read, newest first', async () => {
    const since = new Date().toISOString();
    await expectStatus(await stack.request('/Patient/demo-gagnon', { as: physician }), 200);
    const bundle = await expectJson<Bundle>(await stack.request(`/AuditEvent?patient=demo-gagnon&date=ge${since}`, { as: privacyOfficer }), 200);
    expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'searchset' });
    const reads = events(bundle).filter((event) => roleCodes(event).includes('physician'));
    expect(reads).toHaveLength(1);
    expect(reads[0]).toMatchObject({ resourceType: 'AuditEvent', subtype: [{ code: 'read' }], outcomeDesc: 'success', entity: [{ what: { reference: 'Patient/demo-gagnon' } }] });
    expect(bundle.entry?.[0]?.fullUrl).toMatch(/^urn:uuid:/);
    const recorded = events(bundle).map((event) => event.recorded);
    expect([...recorded].sort().reverse()).toEqual(recorded);
  });

  it('finds the same access by agent, through the agent index, and pages with next links', async () => {
    const since = new Date().toISOString();
    await expectStatus(await stack.request('/Patient/demo-roy', { as: physician }), 200);
    const mine = await expectJson<Bundle>(await stack.request(`/AuditEvent?patient=demo-roy&date=ge${since}`, { as: privacyOfficer }), 200);
    const sub = events(mine).find((event) => roleCodes(event).includes('physician'))?.agent[0]?.who?.identifier?.value;
    expect(sub).toBeDefined();
    await expectStatus(await stack.request('/Patient/demo-tremblay', { as: physician }), 200);
    // The index is eventually consistent in DynamoDB; DynamoDB Local updates it at once.
    const { entries, pages } = await allPages(stack, `/AuditEvent?agent=${sub ?? ''}&date=ge${since}&_count=1`, { as: privacyOfficer });
    expect(pages).toBeGreaterThanOrEqual(2);
    expect(entries.map((entry) => (entry.resource as unknown as JournalEntry).entity?.[0]?.what?.reference)).toEqual(expect.arrayContaining(['Patient/demo-roy', 'Patient/demo-tremblay']));
  });

  it('gives the privacy officer the patient access report: who, when, what, outcome and why, readable, and journals the report', async () => {
    const since = new Date().toISOString();
    await expectStatus(await stack.request('/Patient/demo-gagnon', { as: physician }), 200);
    const report = await expectJson<Bundle>(await stack.request(`/Patient/demo-gagnon/$access-report?date=ge${since}`, { as: privacyOfficer }), 200);
    expect(report).toMatchObject({ resourceType: 'Bundle', type: 'collection' });
    const access = events(report).find((event) => roleCodes(event).includes('physician'));
    expect(access?.text?.div).toMatch(/physician/);
    expect(access?.text?.div).toMatch(/— read .*— success — purpose TREAT/);
    const later = await expectJson<Bundle>(await stack.request(`/AuditEvent?patient=demo-gagnon&date=ge${since}`, { as: privacyOfficer }), 200);
    expect(events(later).filter((event) => roleCodes(event).includes('privacy-officer')).map((event) => event.subtype?.[0]?.code)).toContain('instance-operation');
  });

  // Their tokens lack the audit.read scope, so the gateway refuses them before the journal function
  // (as API Gateway's authorizer does; its access log records it). The function's own refusal, journaled,
  // is shown in test/lambdas/journal/journal-service.int.test.ts.
  it.each([[physician], [clerk]])('refuses %s with 403 on the journal and the report', async (who) => {
    await expectOperationOutcome(await stack.request('/AuditEvent?patient=demo-roy', { as: who }), 403);
    await expectOperationOutcome(await stack.request('/Patient/demo-roy/$access-report', { as: who }), 403);
  });

  it('never reads the whole journal: a search without patient or agent is a 400', async () => {
    await expectOperationOutcome(await stack.request('/AuditEvent?date=ge2026-01-01', { as: privacyOfficer }), 400);
  });

  it('keeps AuditEvent read-only: writes to /AuditEvent are 405 with Allow: GET, and nothing lies below it', async () => {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      const response = await stack.request('/AuditEvent', { method, body: { resourceType: 'AuditEvent' }, as: privacyOfficer });
      await expectOperationOutcome(response, 405);
      expect(response.headers.get('allow')).toBe('GET');
    }
    await expectStatus(await stack.request('/AuditEvent/some-id', { method: 'PUT', body: { resourceType: 'AuditEvent', id: 'some-id' } }), 404);
  });

  it('answers $access-report on another type with 404', async () => {
    await expectOperationOutcome(await stack.request('/Observation/demo-tremblay-glucose-1/$access-report', { as: privacyOfficer }), 404);
  });
});
