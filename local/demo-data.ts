import type { Role } from '../lambdas/access/roles';
import { quebecHealthCardSystem } from '../lambdas/fhir/quebec-identifiers';
import type { ResourceType } from '../lambdas/fhir/registry/registry';

/** Demo staff accounts for the local stack only; these passwords never leave this machine. */
export interface DemoUser {
  readonly email: string;
  readonly password: string;
  readonly roles: readonly Role[];
}

export const demoUsers: readonly DemoUser[] = [
  { email: 'medecin@dsc.local', password: 'Demo-Medecin-2026!', roles: ['physician'] },
  { email: 'infirmiere@dsc.local', password: 'Demo-Infirmiere-2026!', roles: ['nurse'] },
  { email: 'commis@dsc.local', password: 'Demo-Commis-2026!', roles: ['clerk'] },
  { email: 'vie-privee@dsc.local', password: 'Demo-ViePrivee-2026!', roles: ['privacy-officer'] },
  { email: 'admin-usagers@dsc.local', password: 'Demo-AdminUsagers-2026!', roles: ['user-admin'] },
  // The system role (loaders, migrations, tests): every category but the journal.
  { email: 'integration@dsc.local', password: 'Demo-Integration-2026!', roles: ['integration'] },
];

const syntheticTag = { system: 'urn:dsc:tag', code: 'synthetic-demo', display: 'Synthetic demo data' };

/** Synthetic patients with fixed ids, so the printed examples work after every start. */
export const demoPatients = [
  {
    resourceType: 'Patient',
    id: 'demo-tremblay',
    meta: { tag: [syntheticTag] },
    identifier: [
      { system: 'urn:dsc:demo:mrn', value: 'DEMO-0001' },
      // A synthetic NAM (RAMQ health insurance number): TRE + E, born 1984-03-12, female (month + 50).
      { system: quebecHealthCardSystem, value: 'TREE84531299' },
    ],
    name: [{ use: 'official', family: 'Tremblay', given: ['Émilie'] }],
    gender: 'female',
    birthDate: '1984-03-12',
    address: [{ city: 'Montréal', state: 'QC', country: 'CA' }],
  },
  {
    resourceType: 'Patient',
    id: 'demo-gagnon',
    meta: { tag: [syntheticTag] },
    identifier: [{ system: 'urn:dsc:demo:mrn', value: 'DEMO-0002' }],
    name: [{ use: 'official', family: 'Gagnon', given: ['Louis', 'Philippe'] }],
    gender: 'male',
    birthDate: '1951-11-02',
    address: [{ city: 'Laval', state: 'QC', country: 'CA' }],
  },
  {
    resourceType: 'Patient',
    id: 'demo-roy',
    meta: { tag: [syntheticTag] },
    identifier: [{ system: 'urn:dsc:demo:mrn', value: 'DEMO-0003' }],
    name: [{ use: 'official', family: 'Roy', given: ['Nathalie'] }],
    gender: 'female',
    birthDate: '2009-07-30',
    address: [{ city: 'Longueuil', state: 'QC', country: 'CA' }],
  },
] as const;

/** Some clinical data for the first demo patient, so search, _include and $everything have something to show. */
const demoClinical = [
  {
    resourceType: 'Encounter',
    id: 'demo-tremblay-visit-1',
    meta: { tag: [syntheticTag] },
    status: 'finished',
    class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB', display: 'ambulatory' },
    subject: { reference: 'Patient/demo-tremblay' },
    period: { start: '2026-10-01T09:00:00-04:00', end: '2026-10-01T09:30:00-04:00' },
  },
  {
    resourceType: 'Observation',
    id: 'demo-tremblay-glucose-1',
    meta: { tag: [syntheticTag] },
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] }],
    code: { coding: [{ system: 'http://loinc.org', code: '2339-0', display: 'Glucose [Mass/volume] in Blood' }] },
    subject: { reference: 'Patient/demo-tremblay' },
    encounter: { reference: 'Encounter/demo-tremblay-visit-1' },
    effectiveDateTime: '2026-10-01T09:10:00-04:00',
    valueQuantity: { value: 5.40, unit: 'mmol/L', system: 'http://unitsofmeasure.org', code: 'mmol/L' },
  },
] as const;

export const demoResources: readonly { readonly resourceType: ResourceType; readonly id: string }[] = [...demoPatients, ...demoClinical];
