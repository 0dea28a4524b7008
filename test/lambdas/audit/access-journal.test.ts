import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { roles } from '../../../lambdas/access/roles';
import { auditEventOfItem, journalItem } from '../../../lambdas/audit/access-journal';
import { auditEventFor, type AccessFacts } from '../../../lambdas/audit/audit-event';

const interactions: AccessFacts['interaction'][] = ['read', 'vread', 'create', 'update', 'patch', 'delete', 'search-type', 'history-instance', 'history-type', 'instance-operation', 'conditional-update'];
const outcomes: AccessFacts['outcome'][] = ['success', 'denied', 'not-found', 'failed'];
const reference = fc.tuple(fc.constantFrom('Patient', 'Observation', 'Encounter'), fc.uuid()).map(([type, id]) => `${type}/${id}`);

/** A caller the gateway could not authenticate: no subject, client, kind nor roles (see gateway-refusal.ts). */
const unauthenticated = fc.constant({ kind: 'staff' as const, sub: '', username: 'unauthenticated', clientId: '', roles: [], scopes: [] });

const facts: fc.Arbitrary<AccessFacts> = fc.record({
  principal: fc.oneof(
    fc.record(
      {
        kind: fc.constantFrom('staff' as const, 'system' as const),
        sub: fc.uuid(),
        username: fc.string(),
        email: fc.emailAddress(),
        practitioner: fc.uuid().map((id) => `Practitioner/${id}`),
        clientId: fc.string({ minLength: 1 }),
        roles: fc.subarray([...roles]),
        scopes: fc.constant([]),
      },
      { requiredKeys: ['kind', 'sub', 'username', 'clientId', 'roles', 'scopes'] },
    ),
    unauthenticated,
  ),
  interaction: fc.constantFrom(...interactions),
  patient: fc.oneof(reference, fc.constantFrom('Practitioner', 'ValueSet')),
  entities: fc.array(reference, { maxLength: 5 }),
  outcome: fc.constantFrom(...outcomes),
  recorded: fc.date({ min: new Date('2020-01-01'), max: new Date('2040-01-01'), noInvalidDate: true }),
  requestId: fc.uuid(),
  sourceIp: fc.option(fc.ipV4(), { nil: undefined }),
  userAgent: fc.option(fc.string({ minLength: 1 }), { nil: undefined }),
  query: fc.option(fc.string(), { nil: undefined }),
  purposeOfUse: fc.constantFrom('TREAT', 'ETREAT', 'HOPERAT', 'PATRQT'),
  breakGlassReason: fc.option(fc.string({ minLength: 1 }), { nil: undefined }),
  overridden: fc.option(fc.array(fc.uuid().map((id) => `Consent/${id}`), { minLength: 1, maxLength: 3 }), { nil: undefined }),
  gatewayError: fc.option(fc.constantFrom('UNAUTHORIZED', 'ACCESS_DENIED'), { nil: undefined }),
});

describe('the journal item', () => {
  it('gives back exactly the AuditEvent it recorded, whatever the facts', () => {
    fc.assert(
      fc.property(facts, (access) => {
        const event = auditEventFor(access);
        expect(auditEventOfItem(journalItem(event, access.patient))).toEqual(event);
      }),
      { numRuns: 500 },
    );
  });

  it('records who (sub, email, Practitioner, roles, client, address) and why (purpose, break-glass reason, overridden restriction)', () => {
    const event = auditEventFor({
      principal: { kind: 'staff', sub: 'sub-1', username: 'sub-1', email: 'medecin@dsc.local', practitioner: 'Practitioner/pr-1', clientId: 'web', roles: ['physician'], scopes: [] },
      interaction: 'read',
      patient: 'Patient/p1',
      entities: ['Observation/o1'],
      outcome: 'success',
      recorded: new Date('2026-11-26T08:00:00.000Z'),
      requestId: 'req-1',
      sourceIp: '203.0.113.17',
      purposeOfUse: 'ETREAT',
      breakGlassReason: 'Urgence : patient inconscient, arrêt cardiaque',
      overridden: ['Consent/c1'],
    });
    expect(event.agent[0]).toMatchObject({
      who: { reference: 'Practitioner/pr-1', identifier: { value: 'sub-1' }, display: 'medecin@dsc.local' },
      name: 'medecin@dsc.local',
      role: [{ coding: [{ code: 'physician' }] }],
      policy: ['urn:dsc:client:web'],
      network: { address: '203.0.113.17' },
    });
    expect(event.purposeOfEvent).toEqual([{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'ETREAT' }], text: 'Urgence : patient inconscient, arrêt cardiaque' }]);
    expect(event.extension).toContainEqual({ url: 'urn:dsc:audit:overridden-restriction', valueReference: { reference: 'Consent/c1' } });
    expect(auditEventOfItem(journalItem(event, 'Patient/p1'))).toEqual(event);
  });

  it('keeps a read journal entry under 1 KB, one write unit, where the AuditEvent JSON would take two', () => {
    const event = auditEventFor({
      principal: {
        kind: 'staff',
        sub: '3f2b1c9e-1234-4abc-9def-0123456789ab',
        username: '3f2b1c9e-1234-4abc-9def-0123456789ab',
        email: 'marie-josee.tremblay-gagnon@ciusss-mcq.example',
        practitioner: 'Practitioner/9d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6',
        clientId: '8a52gpphcoeu2bl4y490vobw0',
        roles: ['physician'],
        scopes: [],
      },
      interaction: 'read',
      patient: 'Patient/4c8e2f1a-5b6d-4e7f-8a9b-0c1d2e3f4a5b',
      entities: ['Patient/4c8e2f1a-5b6d-4e7f-8a9b-0c1d2e3f4a5b'],
      outcome: 'success',
      recorded: new Date('2026-11-26T08:00:00.000Z'),
      requestId: 'c0ffee00-1234-4abc-9def-0123456789ab',
      sourceIp: '203.0.113.17',
      userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36',
      purposeOfUse: 'TREAT',
    });
    // DynamoDB sizes an item as the bytes of its attribute names and values.
    const bytes = (item: Record<string, unknown>) => Object.entries(item).reduce((size, [name, value]) => size + Buffer.byteLength(name) + Buffer.byteLength(String(value)), 0);
    expect(bytes(journalItem(event, 'Patient/4c8e2f1a-5b6d-4e7f-8a9b-0c1d2e3f4a5b'))).toBeLessThanOrEqual(1024);
    expect(Buffer.byteLength(JSON.stringify(event))).toBeGreaterThan(1024);
  });
});
