import { describe, expect, it } from 'vitest';
import { dataCategories, dataCategoryOf } from '../../../lambdas/access/categories';
import { decide, decideByRole, type AccessRequest, type RoleRequest } from '../../../lambdas/access/policy';
import { roles, type AccessKind, type Role } from '../../../lambdas/access/roles';
import { categoryOf, resourceTypes, type ResourceType } from '../../../lambdas/fhir/registry/registry';
import { contextFor } from '../../support/principals';

const request = (role: Role | Role[], action: AccessKind, type: ResourceType): RoleRequest => ({
  principal: contextFor(...(Array.isArray(role) ? role : [role])).principal,
  action,
  type,
});

const effect = (role: Role | Role[], access: AccessKind, resourceType: ResourceType) => decideByRole(request(role, access, resourceType)).effect;

/** The same question asked of `decide`, about a resource in no patient's compartment. */
const fullRequest = ({ principal, action, type }: RoleRequest): AccessRequest => ({ principal, action, resource: { type, compartments: [] }, context: { purposeOfUse: 'TREAT' } });
const noRestrictions = () => Promise.resolve([]);

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
    ['privacy-officer', 'read', 'AuditEvent', 'permit'],
    ['privacy-officer', 'write', 'AuditEvent', 'deny'],
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
        for (const access of accessKinds) expect(await decide(fullRequest(request(role, access, type)), noRestrictions), `${role} ${access} ${type}`).toEqual(decideByRole(request(role, access, type)));
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

describe('decideByRole: every role against every category (one type of each)', () => {
  const typeOf = { demographics: 'Patient', scheduling: 'Encounter', clinical: 'Observation', financial: 'Claim', consent: 'Consent', reference: 'ValueSet', journal: 'AuditEvent' } as const;
  // r: read, w: write, -: nothing. The matrix of docs/role-matrix.md, stated independently of roles.ts.
  const expected: Record<Role, Record<keyof typeof typeOf, 'rw' | 'r' | '-'>> = {
    physician: { demographics: 'rw', scheduling: 'rw', clinical: 'rw', financial: 'r', consent: 'rw', reference: 'r', journal: '-' },
    nurse: { demographics: 'rw', scheduling: 'rw', clinical: 'rw', financial: 'r', consent: 'rw', reference: 'r', journal: '-' },
    'allied-health': { demographics: 'r', scheduling: 'r', clinical: 'r', financial: '-', consent: '-', reference: 'r', journal: '-' },
    'social-worker': { demographics: 'r', scheduling: 'r', clinical: '-', financial: '-', consent: '-', reference: 'r', journal: '-' },
    clerk: { demographics: 'rw', scheduling: 'rw', clinical: '-', financial: 'rw', consent: '-', reference: 'r', journal: '-' },
    'privacy-officer': { demographics: 'r', scheduling: '-', clinical: '-', financial: '-', consent: 'rw', reference: '-', journal: 'r' },
    'user-admin': { demographics: '-', scheduling: '-', clinical: '-', financial: '-', consent: '-', reference: '-', journal: '-' },
    integration: { demographics: 'rw', scheduling: 'rw', clinical: 'rw', financial: 'rw', consent: 'rw', reference: 'rw', journal: '-' },
  };
  for (const role of roles) {
    it(`${role}: ${Object.entries(expected[role]).map(([category, rights]) => `${category} ${rights}`).join(', ')}`, () => {
      for (const [category, type] of Object.entries(typeOf) as [keyof typeof typeOf, ResourceType][]) {
        const rights = expected[role][category];
        expect(effect(role, 'read', type), `${role} read ${category}`).toBe(rights === '-' ? 'deny' : 'permit');
        expect(effect(role, 'write', type), `${role} write ${category}`).toBe(rights === 'rw' ? 'permit' : 'deny');
      }
    });
  }
});

describe('decideByRole: separation of duties', () => {
  it.each([
    [['user-admin', 'physician'], 'Observation', /user-admin.*physician/],
    [['user-admin', 'clerk'], 'Patient', /user-admin.*clerk/],
    [['user-admin', 'privacy-officer'], 'Consent', /user-admin.*privacy-officer/],
    [['privacy-officer', 'nurse'], 'Patient', /privacy-officer.*nurse/],
    [['privacy-officer', 'integration'], 'Consent', /privacy-officer.*integration/],
  ] as const)('refuses %j everything, even what one of the roles alone may do (%s)', (held, type, reason) => {
    const decision = decideByRole(request([...held], 'read', type));
    expect(decision).toEqual({ effect: 'deny', reason: expect.stringMatching(reason) as string });
  });

  it('lets a privacy officer also be a clerk or an allied-health professional: neither writes clinical data', () => {
    expect(effect(['privacy-officer', 'clerk'], 'write', 'Patient')).toBe('permit');
    expect(effect(['privacy-officer', 'allied-health'], 'read', 'Observation')).toBe('permit');
  });
});

describe('decideByRole: system clients are limited by their scopes', () => {
  const system = (scopes: string[]) => ({ ...contextFor('integration').principal, kind: 'system' as const, scopes });

  it('permits a system client what its scopes and the integration role both grant', () => {
    expect(decideByRole({ principal: system(['dsc-fhir/fhir.read']), action: 'read', type: 'Observation' }).effect).toBe('permit');
    expect(decideByRole({ principal: system(['dsc-fhir/fhir.read', 'dsc-fhir/fhir.write']), action: 'write', type: 'Observation' }).effect).toBe('permit');
  });

  it('denies a system client an action outside its scopes, and the journal even with them', () => {
    expect(decideByRole({ principal: system(['dsc-fhir/fhir.read']), action: 'write', type: 'Observation' })).toEqual({ effect: 'deny', reason: expect.stringMatching(/scopes do not grant write/) as string });
    expect(decideByRole({ principal: system(['dsc-fhir/fhir.write']), action: 'read', type: 'Patient' }).effect).toBe('deny');
    expect(decideByRole({ principal: system(['dsc-fhir/fhir.read']), action: 'read', type: 'AuditEvent' }).effect).toBe('deny');
  });
});
