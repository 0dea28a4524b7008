import { describe, expect, it } from 'vitest';
import { decide, restrictionDenial, type AccessRequest } from '../../../lambdas/access/policy';
import type { Principal } from '../../../lambdas/access/principal';
import { dataCategorySystem, resourceTypeSystem, restrictionsOf, staffRoleSystem } from '../../../lambdas/access/restrictions';
import type { Role } from '../../../lambdas/access/roles';
import type { ResourceType } from '../../../lambdas/fhir/registry/registry';
import { contextFor } from '../../support/principals';

/** Patient restrictions (FHIR R4 Consent with deny provisions) and the decisions they lead to. */

const patient = 'Patient/p1';
const now = new Date('2026-06-15T12:00:00Z');

const drTremblay: Principal = { ...contextFor('physician').principal, practitioner: 'Practitioner/tremblay' };
const drGagnon: Principal = { ...contextFor('physician').principal, practitioner: 'Practitioner/gagnon' };
const staff = (...roles: Role[]): Principal => contextFor(...roles).principal;

const actorPractitioner = (id: string) => ({ role: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'PRCP' }] }, reference: { reference: `Practitioner/${id}` } });
const actorRole = (role: string) => ({ role: { coding: [{ system: staffRoleSystem, code: role }] }, reference: { display: `Every ${role}` } });
const byType = (type: string) => ({ system: resourceTypeSystem, code: type });
const byCategory = (category: string) => ({ system: dataCategorySystem, code: category });

function consent(provision: Record<string, unknown>, overrides: Record<string, unknown> = {}) {
  return { resourceType: 'Consent', id: 'c1', status: 'active', patient: { reference: patient }, provision, ...overrides };
}

async function decideAbout(principal: Principal, type: ResourceType, id: string, consents: Record<string, unknown>[], breakGlassReason?: string) {
  const request: AccessRequest = {
    principal,
    action: 'read',
    resource: { type, id, compartments: [patient] },
    context: { purposeOfUse: breakGlassReason ? 'ETREAT' : 'TREAT', ...(breakGlassReason ? { breakGlassReason } : {}) },
  };
  const restrictions = consents.flatMap(restrictionsOf);
  return decide(request, (asked) => Promise.resolve(asked === patient ? restrictions : []), now);
}

const effectOf = async (...args: Parameters<typeof decideAbout>) => (await decideAbout(...args)).effect;

describe('restrictions: who they name', () => {
  const onlyTremblay = consent({ type: 'deny', actor: [actorPractitioner('tremblay')] });

  it('deny the named Practitioner and no one else', async () => {
    expect(await decideAbout(drTremblay, 'Observation', 'o1', [onlyTremblay])).toEqual({ effect: 'deny', reason: restrictionDenial });
    expect(await effectOf(drGagnon, 'Observation', 'o1', [onlyTremblay])).toBe('permit');
    expect(await effectOf(staff('physician'), 'Observation', 'o1', [onlyTremblay])).toBe('permit');
  });

  it('match a Practitioner given by an absolute reference', async () => {
    const absolute = consent({ type: 'deny', actor: [{ ...actorPractitioner('x'), reference: { reference: 'https://fhir.example.org/r4/Practitioner/tremblay' } }] });
    expect(await effectOf(drTremblay, 'Observation', 'o1', [absolute])).toBe('deny');
  });

  it('deny every holder of a named role (actor by role), whoever they are', async () => {
    const nurses = consent({ type: 'deny', actor: [actorRole('nurse')] });
    expect(await effectOf(staff('nurse'), 'Observation', 'o1', [nurses])).toBe('deny');
    expect(await effectOf(staff('nurse', 'physician'), 'Observation', 'o1', [nurses])).toBe('deny');
    expect(await effectOf(staff('physician'), 'Observation', 'o1', [nurses])).toBe('permit');
  });

  it('read a provision naming no actor, or none this server knows, as naming everyone', async () => {
    expect(await effectOf(drGagnon, 'Observation', 'o1', [consent({ type: 'deny' })])).toBe('deny');
    expect(await effectOf(drGagnon, 'Observation', 'o1', [consent({ type: 'deny', actor: [{ role: { coding: [{ system: 'urn:other', code: 'x' }] }, reference: { reference: 'Organization/o' } }] })])).toBe('deny');
  });
});

describe('restrictions: what they cover', () => {
  it('cover specific resources named in data', async () => {
    const one = consent({ type: 'deny', actor: [actorPractitioner('tremblay')], data: [{ meaning: 'instance', reference: { reference: 'Observation/o1' } }] });
    expect(await effectOf(drTremblay, 'Observation', 'o1', [one])).toBe('deny');
    expect(await effectOf(drTremblay, 'Observation', 'o2', [one])).toBe('permit');
    expect(await effectOf(drTremblay, 'Condition', 'o1', [one])).toBe('permit');
  });

  it('cover a class by resource type', async () => {
    const conditions = consent({ type: 'deny', actor: [actorPractitioner('tremblay')], class: [byType('Condition')] });
    expect(await effectOf(drTremblay, 'Condition', 'c9', [conditions])).toBe('deny');
    expect(await effectOf(drTremblay, 'Observation', 'o1', [conditions])).toBe('permit');
  });

  it('cover a class by data category', async () => {
    const clinical = consent({ type: 'deny', actor: [actorRole('allied-health')], class: [byCategory('clinical')] });
    expect(await effectOf(staff('allied-health'), 'DocumentReference', 'd1', [clinical])).toBe('deny');
    expect(await effectOf(staff('allied-health'), 'Observation', 'o1', [clinical])).toBe('deny');
    expect(await effectOf(staff('allied-health'), 'Encounter', 'e1', [clinical])).toBe('permit');
  });

  it('require data and class both to match when both are given', async () => {
    const both = consent({ type: 'deny', actor: [actorPractitioner('tremblay')], class: [byType('Observation')], data: [{ meaning: 'instance', reference: { reference: 'Observation/o1' } }] });
    expect(await effectOf(drTremblay, 'Observation', 'o1', [both])).toBe('deny');
    expect(await effectOf(drTremblay, 'Observation', 'o2', [both])).toBe('permit');
  });

  it('cover the whole file when they name no data and no class', async () => {
    const everything = consent({ type: 'deny', actor: [actorPractitioner('tremblay')] });
    for (const type of ['Patient', 'Encounter', 'Observation', 'Consent'] as const) expect(await effectOf(drTremblay, type, 'x', [everything]), type).toBe('deny');
  });
});

describe('restrictions: which provisions and consents count', () => {
  it('read deny provisions nested under a permit base policy', async () => {
    const nested = consent({ type: 'permit', provision: [{ type: 'permit', class: [byType('Encounter')] }, { type: 'deny', actor: [actorPractitioner('tremblay')], class: [byType('Observation')] }] });
    expect(await effectOf(drTremblay, 'Observation', 'o1', [nested])).toBe('deny');
    expect(await effectOf(drTremblay, 'Encounter', 'e1', [nested])).toBe('permit');
    expect(restrictionsOf(nested)).toHaveLength(1);
  });

  it('ignore a Consent that is not active (draft, rejected, inactive, entered-in-error)', async () => {
    for (const status of ['draft', 'rejected', 'inactive', 'entered-in-error']) {
      expect(await effectOf(drTremblay, 'Observation', 'o1', [consent({ type: 'deny', actor: [actorPractitioner('tremblay')] }, { status })]), status).toBe('permit');
    }
  });

  it('apply only within their period, the end inclusive at its precision', async () => {
    const within = (period: Record<string, string>) => consent({ type: 'deny', actor: [actorPractitioner('tremblay')], period });
    expect(await effectOf(drTremblay, 'Observation', 'o1', [within({ start: '2026-06-01', end: '2026-06-30' })])).toBe('deny');
    expect(await effectOf(drTremblay, 'Observation', 'o1', [within({ start: '2026-06-16' })])).toBe('permit');
    expect(await effectOf(drTremblay, 'Observation', 'o1', [within({ end: '2026-06-14' })])).toBe('permit');
    expect(await effectOf(drTremblay, 'Observation', 'o1', [within({ end: '2026-06-15' })])).toBe('deny');
    expect(await effectOf(drTremblay, 'Observation', 'o1', [within({ end: '2026-06' })])).toBe('deny');
    expect(await effectOf(drTremblay, 'Observation', 'o1', [within({ end: '2026-06-15T11:00:00Z' })])).toBe('permit');
  });

  it('let a nested deny inherit the period of the provision above it', async () => {
    const expired = consent({ type: 'permit', period: { end: '2025-12-31' }, provision: [{ type: 'deny', actor: [actorPractitioner('tremblay')] }] });
    expect(await effectOf(drTremblay, 'Observation', 'o1', [expired])).toBe('permit');
  });

  it('concern only the patient whose compartment holds the resource', async () => {
    const request: AccessRequest = { principal: drTremblay, action: 'read', resource: { type: 'Observation', id: 'o1', compartments: ['Patient/other'] }, context: { purposeOfUse: 'TREAT' } };
    const restrictions = restrictionsOf(consent({ type: 'deny', actor: [actorPractitioner('tremblay')] }));
    expect((await decide(request, (asked) => Promise.resolve(asked === patient ? restrictions : []), now)).effect).toBe('permit');
  });

  it('never govern writing: a restricted clinician can still record new data', async () => {
    const request: AccessRequest = { principal: drTremblay, action: 'write', resource: { type: 'Observation', id: 'o1', compartments: [patient] }, context: { purposeOfUse: 'TREAT' } };
    const restrictions = restrictionsOf(consent({ type: 'deny', actor: [actorPractitioner('tremblay')] }));
    expect((await decide(request, () => Promise.resolve(restrictions), now)).effect).toBe('permit');
  });
});

describe('break-glass', () => {
  const restricted = consent({ type: 'deny', actor: [actorRole('physician'), actorRole('allied-health'), actorRole('social-worker')] });
  const reason = 'Urgence : patient inconscient, arrêt cardiaque';

  it('turns a restriction into a permit-with-override naming the reason and the Consent, for a clinical role', async () => {
    expect(await decideAbout(drTremblay, 'Observation', 'o1', [restricted], reason)).toEqual({ effect: 'permit-with-override', reason, restriction: 'Consent/c1' });
    expect((await decideAbout(staff('allied-health'), 'Observation', 'o1', [restricted], reason)).effect).toBe('permit-with-override');
  });

  it('is a plain permit when no restriction applies', async () => {
    expect(await decideAbout(drTremblay, 'Observation', 'o1', [], reason)).toEqual({ effect: 'permit' });
  });

  it('cannot be used by a role that may not read clinical data', async () => {
    expect(await decideAbout(staff('social-worker'), 'Patient', 'p1', [restricted], reason)).toEqual({ effect: 'deny', reason: restrictionDenial });
  });

  it('never overrides the roles: a clerk breaking the glass still cannot read an Observation', async () => {
    expect((await decideAbout(staff('clerk'), 'Observation', 'o1', [], reason)).effect).toBe('deny');
  });
});
