import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { roles } from '../../../lambdas/access/roles';
import { auditEventOfItem, journalItem } from '../../../lambdas/audit/access-journal';
import { auditEventFor, type AccessFacts } from '../../../lambdas/audit/audit-event';

const interactions: AccessFacts['interaction'][] = ['read', 'vread', 'create', 'update', 'patch', 'delete', 'search-type', 'history-instance', 'history-type', 'instance-operation', 'conditional-update'];
const outcomes: AccessFacts['outcome'][] = ['success', 'denied', 'not-found', 'failed'];
const reference = fc.tuple(fc.constantFrom('Patient', 'Observation', 'Encounter'), fc.uuid()).map(([type, id]) => `${type}/${id}`);

const facts: fc.Arbitrary<AccessFacts> = fc.record({
  principal: fc.record({ sub: fc.uuid(), username: fc.string(), clientId: fc.string({ minLength: 1 }), roles: fc.subarray([...roles]), scopes: fc.constant([]) }),
  interaction: fc.constantFrom(...interactions),
  patient: fc.oneof(reference, fc.constantFrom('Practitioner', 'ValueSet')),
  entities: fc.array(reference, { maxLength: 5 }),
  outcome: fc.constantFrom(...outcomes),
  recorded: fc.date({ min: new Date('2020-01-01'), max: new Date('2040-01-01'), noInvalidDate: true }),
  requestId: fc.uuid(),
  sourceIp: fc.option(fc.ipV4(), { nil: undefined }),
  userAgent: fc.option(fc.string({ minLength: 1 }), { nil: undefined }),
  query: fc.option(fc.string(), { nil: undefined }),
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

  it('keeps a read journal entry under 1 KB, one write unit, where the AuditEvent JSON would take two', () => {
    const event = auditEventFor({
      principal: { sub: '3f2b1c9e-1234-4abc-9def-0123456789ab', username: '3f2b1c9e-1234-4abc-9def-0123456789ab', clientId: '8a52gpphcoeu2bl4y490vobw0', roles: ['physician'], scopes: [] },
      interaction: 'read',
      patient: 'Patient/4c8e2f1a-5b6d-4e7f-8a9b-0c1d2e3f4a5b',
      entities: ['Patient/4c8e2f1a-5b6d-4e7f-8a9b-0c1d2e3f4a5b'],
      outcome: 'success',
      recorded: new Date('2026-11-26T08:00:00.000Z'),
      requestId: 'c0ffee00-1234-4abc-9def-0123456789ab',
      sourceIp: '203.0.113.17',
      userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36',
    });
    // DynamoDB sizes an item as the bytes of its attribute names and values.
    const bytes = (item: Record<string, unknown>) => Object.entries(item).reduce((size, [name, value]) => size + Buffer.byteLength(name) + Buffer.byteLength(String(value)), 0);
    expect(bytes(journalItem(event, 'Patient/4c8e2f1a-5b6d-4e7f-8a9b-0c1d2e3f4a5b'))).toBeLessThanOrEqual(1024);
    expect(Buffer.byteLength(JSON.stringify(event))).toBeGreaterThan(1024);
  });
});
