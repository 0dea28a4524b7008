import type { Role } from '../lambdas/access/roles';
import { acceptedScopes } from '../lambdas/contracts/auth';
import { quebecHealthCardSystem } from '../lambdas/fhir/quebec-identifiers';
import type { ResourceType } from '../lambdas/fhir/registry/registry';

/** Demo staff accounts for the local stack only; these passwords never leave this machine. */
export interface DemoUser {
  readonly email: string;
  readonly password: string;
  readonly roles: readonly Role[];
  readonly name: { readonly given: string; readonly family: string };
  /** The account's linked Practitioner, `Practitioner/<id>`, also set as its custom:practitioner attribute. */
  readonly practitioner: string;
}

export const demoUsers: readonly DemoUser[] = [
  { email: 'medecin@dsc.local', password: 'Demo-Medecin-2026!', roles: ['physician'], name: { given: 'Julie', family: 'Bélanger' }, practitioner: 'Practitioner/demo-medecin' },
  // A second physician, so that a patient can restrict one named clinician and not the other.
  { email: 'medecin2@dsc.local', password: 'Demo-Medecin2-2026!', roles: ['physician'], name: { given: 'Marc', family: 'Pelletier' }, practitioner: 'Practitioner/demo-medecin2' },
  { email: 'infirmiere@dsc.local', password: 'Demo-Infirmiere-2026!', roles: ['nurse'], name: { given: 'Sophie', family: 'Côté' }, practitioner: 'Practitioner/demo-infirmiere' },
  { email: 'professionnel@dsc.local', password: 'Demo-Professionnel-2026!', roles: ['allied-health'], name: { given: 'Karim', family: 'Haddad' }, practitioner: 'Practitioner/demo-professionnel' },
  { email: 'travail-social@dsc.local', password: 'Demo-TravailSocial-2026!', roles: ['social-worker'], name: { given: 'Isabelle', family: 'Morin' }, practitioner: 'Practitioner/demo-travail-social' },
  { email: 'commis@dsc.local', password: 'Demo-Commis-2026!', roles: ['clerk'], name: { given: 'Luc', family: 'Gauthier' }, practitioner: 'Practitioner/demo-commis' },
  { email: 'vie-privee@dsc.local', password: 'Demo-ViePrivee-2026!', roles: ['privacy-officer'], name: { given: 'Nadia', family: 'Ouellet' }, practitioner: 'Practitioner/demo-vie-privee' },
  { email: 'admin-usagers@dsc.local', password: 'Demo-AdminUsagers-2026!', roles: ['user-admin'], name: { given: 'Pierre', family: 'Lavoie' }, practitioner: 'Practitioner/demo-admin-usagers' },
  // The system role (loaders, migrations, tests): every category but the journal.
  { email: 'integration@dsc.local', password: 'Demo-Integration-2026!', roles: ['integration'], name: { given: 'Simon', family: 'Girard' }, practitioner: 'Practitioner/demo-integration' },
];

/** The demo app clients for system integrations (client credentials), with the custom scopes each may request. */
export interface DemoIntegrationClient {
  readonly name: string;
  readonly scopes: readonly string[];
}

export const demoIntegrationClients: readonly DemoIntegrationClient[] = [
  { name: 'dsc-local-integration', scopes: [...acceptedScopes('read'), ...acceptedScopes('write')] },
  { name: 'dsc-local-integration-read-only', scopes: acceptedScopes('read') },
];

/** Identifies a Practitioner by the email of the staff account it belongs to. */
const staffEmailSystem = 'urn:dsc:staff-email';

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

/** The Practitioner each demo account is linked to, so restrictions and the journal can name the person. */
const demoPractitioners = demoUsers.map((user) => ({
  resourceType: 'Practitioner' as const,
  id: user.practitioner.replace(/^Practitioner\//, ''),
  meta: { tag: [syntheticTag] },
  identifier: [{ system: staffEmailSystem, value: user.email }],
  active: true,
  name: [{ use: 'official', family: user.name.family, given: [user.name.given] }],
  telecom: [{ system: 'email', value: user.email, use: 'work' }],
}));

export const demoResources: readonly { readonly resourceType: ResourceType; readonly id: string }[] = [...demoPatients, ...demoClinical, ...demoPractitioners];
