import { describe, expect, it } from 'vitest';
import { dataCategories, dataCategoryOf } from '../../../lambdas/access/categories';
import { decide, decideByRole, type AccessRequest } from '../../../lambdas/access/policy';
import { roles, type AccessKind, type Role } from '../../../lambdas/access/roles';
import { categoryOf, resourceTypes, type ResourceType } from '../../../lambdas/fhir/registry/registry';
import { contextFor } from '../../support/principals';

const request = (role: Role | Role[], access: AccessKind, resourceType: ResourceType): AccessRequest => ({
  principal: contextFor(...(Array.isArray(role) ? role : [role])).principal,
  access,
  resourceType,
});

const effect = (role: Role | Role[], access: AccessKind, resourceType: ResourceType) => decideByRole(request(role, access, resourceType)).effect;

const accessKinds: readonly AccessKind[] = ['read', 'write'];

describe('decideByRole: the role matrix by data category', () => {
  it.each([
    ['clerk', 'read', 'Observation', 'deny'],
    ['clerk', 'write', 'Observation', 'deny'],
    ['clerk', 'write', 'Encounter', 'permit'],
    ['clerk', 'write', 'Appointment', 'permit'],
    ['clerk', 'write', 'Patient', 'permit'],
    ['clerk', 'write', 'Coverage', 'permit'],
    ['clerk', 'write', 'ValueSet', 'deny'],
    ['physician', 'write', 'Observation', 'permit'],
    ['physician', 'read', 'Claim', 'permit'],
    ['physician', 'write', 'Claim', 'deny'],
    ['nurse', 'write', 'MedicationAdministration', 'permit'],
    ['allied-health', 'read', 'Condition', 'permit'],
    ['allied-health', 'write', 'Condition', 'deny'],
    ['social-worker', 'read', 'Patient', 'permit'],
    ['social-worker', 'read', 'Observation', 'deny'],
    ['privacy-officer', 'read', 'Patient', 'permit'],
    ['privacy-officer', 'write', 'Patient', 'deny'],
    ['privacy-officer', 'write', 'Consent', 'permit'],
    ['privacy-officer', 'read', 'Observation', 'deny'],
    ['integration', 'write', 'Observation', 'permit'],
    ['integration', 'write', 'ValueSet', 'permit'],
  ] as const)('%s may %s %s: %s', (role, access, type, expected) => {
    expect(effect(role, access, type)).toBe(expected);
  });

  it('gives a denial its reason: the access, the category and the type', () => {
    const decision = decideByRole(request('clerk', 'read', 'Observation'));
    expect(decision.effect).toBe('deny');
    expect(decision.effect === 'deny' ? decision.reason : '').toMatch(/read.*clinical.*Observation/);
  });

  it('denies the user administrator everything, on every type', () => {
    for (const type of resourceTypes) for (const access of accessKinds) expect(effect('user-admin', access, type), `${access} ${type}`).toBe('deny');
  });

  it('denies the privacy officer and the user administrator every clinical type', () => {
    for (const type of resourceTypes.filter((candidate) => dataCategoryOf(candidate) === 'clinical')) {
      for (const role of ['privacy-officer', 'user-admin'] as const) expect(effect(role, 'read', type), `${role} ${type}`).toBe('deny');
    }
  });

  it('permits the integration role everything but the journal (AuditEvent)', () => {
    for (const type of resourceTypes) {
      for (const access of accessKinds) expect(effect('integration', access, type), `${access} ${type}`).toBe(type === 'AuditEvent' ? 'deny' : 'permit');
    }
  });

  it('lets no role write the journal: the API writes it itself', () => {
    for (const role of roles) expect(effect(role, 'write', 'AuditEvent'), role).toBe('deny');
  });

  it('denies a principal with no role, and permits what any one of several roles permits', () => {
    expect(decideByRole({ ...request('clerk', 'read', 'Patient'), principal: { ...contextFor().principal, roles: [] } }).effect).toBe('deny');
    expect(effect(['clerk', 'allied-health'], 'read', 'Observation')).toBe('permit');
    expect(effect(['clerk', 'allied-health'], 'write', 'Observation')).toBe('deny');
  });
});

describe('decide', () => {
  it('agrees with the role matrix', async () => {
    for (const role of roles) {
      for (const type of ['Patient', 'Observation', 'Encounter', 'Consent', 'AuditEvent', 'ValueSet', 'Claim'] as const) {
        for (const access of accessKinds) expect(await decide(request(role, access, type)), `${role} ${access} ${type}`).toEqual(decideByRole(request(role, access, type)));
      }
    }
  });
});

describe('dataCategoryOf', () => {
  it.each([
    ['Patient', 'demographics'],
    ['Practitioner', 'demographics'],
    ['Encounter', 'scheduling'],
    ['Appointment', 'scheduling'],
    ['Observation', 'clinical'],
    ['DocumentReference', 'clinical'],
    ['Claim', 'financial'],
    ['Consent', 'consent'],
    ['Provenance', 'consent'],
    ['ValueSet', 'reference'],
    ['Questionnaire', 'reference'],
  ] as const)('puts %s in %s, following its official category', (type, category) => {
    expect(dataCategoryOf(type)).toBe(category);
  });

  it.each([
    ['Flag', 'Base.Management', 'clinical'],
    ['List', 'Base.Management', 'clinical'],
    ['Task', 'Base.Workflow', 'clinical'],
    ['Binary', 'Foundation.Other', 'clinical'],
    ['Bundle', 'Foundation.Other', 'clinical'],
    ['MeasureReport', 'Specialized.Quality Reporting & Testing', 'clinical'],
    ['AuditEvent', 'Foundation.Security', 'journal'],
  ] as const)('overrides %s (officially %s) to %s', (type, official, category) => {
    expect(categoryOf(type)).toBe(official);
    expect(dataCategoryOf(type)).toBe(category);
  });

  it('gives every one of the 145 R4 types a known category', () => {
    expect(resourceTypes).toHaveLength(145);
    for (const type of resourceTypes) expect(dataCategories, type).toContain(dataCategoryOf(type));
  });
});
