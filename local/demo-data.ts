import type { Role } from '../lambdas/access/roles';

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
];

const syntheticTag = { system: 'urn:dsc:tag', code: 'synthetic-demo', display: 'Synthetic demo data' };

/** Synthetic patients with fixed ids, so the printed examples work after every start. */
export const demoPatients = [
  {
    resourceType: 'Patient',
    id: 'demo-tremblay',
    meta: { tag: [syntheticTag] },
    identifier: [{ system: 'urn:dsc:demo:mrn', value: 'DEMO-0001' }],
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
