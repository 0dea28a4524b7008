import type { DataCategory } from './categories';

/**
 * Staff roles are Cognito groups. The auth stack creates one group per role, the local
 * runtime creates the same groups, and the role matrix below decides what each may do.
 */
export const roles = [
  'physician',
  'nurse',
  'allied-health',
  'social-worker',
  'clerk',
  'privacy-officer',
  'user-admin',
  'integration',
] as const;
export type Role = (typeof roles)[number];

export const roleDescriptions: Record<Role, string> = {
  physician: 'Physicians: read and record clinical data',
  nurse: 'Nurses: read and record clinical data',
  'allied-health': 'Allied health professionals: read clinical data',
  'social-worker': 'Social workers: read demographic data',
  clerk: 'Admission and registration clerks: register patients and schedule, no clinical data',
  'privacy-officer': 'Privacy officers: consents (LRSSS restrictions), patient demographics and the access journal; no clinical data',
  'user-admin': 'User administrators: manage staff accounts; no patient data (separation of duties)',
  integration: 'System integrations of the network (loaders, migrations): every category but the journal',
};

/** Reading covers read, vread, history, search and operations; writing covers create, update, patch and delete. */
export type AccessKind = 'read' | 'write';

/** Which access each role has, per data category. Absent means denied. */
export const roleMatrix: Record<Role, Partial<Record<DataCategory, readonly AccessKind[]>>> = {
  physician: { demographics: ['read', 'write'], scheduling: ['read', 'write'], clinical: ['read', 'write'], financial: ['read'], consent: ['read', 'write'], reference: ['read'] },
  nurse: { demographics: ['read', 'write'], scheduling: ['read', 'write'], clinical: ['read', 'write'], financial: ['read'], consent: ['read', 'write'], reference: ['read'] },
  'allied-health': { demographics: ['read'], scheduling: ['read'], clinical: ['read'], reference: ['read'] },
  'social-worker': { demographics: ['read'], scheduling: ['read'], reference: ['read'] },
  clerk: { demographics: ['read', 'write'], scheduling: ['read', 'write'], financial: ['read', 'write'], reference: ['read'] },
  'privacy-officer': { demographics: ['read'], consent: ['read', 'write'], journal: ['read'] },
  'user-admin': {},
  integration: { demographics: ['read', 'write'], scheduling: ['read', 'write'], clinical: ['read', 'write'], financial: ['read', 'write'], consent: ['read', 'write'], reference: ['read', 'write'] },
};

export function isRole(name: string): name is Role {
  return (roles as readonly string[]).includes(name);
}

export function rolePermits(role: Role, category: DataCategory, access: AccessKind): boolean {
  return roleMatrix[role][category]?.includes(access) ?? false;
}
