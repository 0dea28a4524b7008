import type { FhirInteraction } from '../contracts/routes';

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
  clerk: 'Admission and registration clerks: register and look up patients',
  'privacy-officer': 'Privacy officers: consult the access journal and patient demographics',
  'user-admin': 'User administrators: manage staff accounts; no clinical data (separation of duties)',
  integration: 'System integrations of the network',
};

type ClinicalInteraction = Exclude<FhirInteraction, 'capabilities'>;

/** Which interactions each role may use, per resource type. Absent means denied. */
export const roleMatrix: Record<Role, Partial<Record<string, readonly ClinicalInteraction[]>>> = {
  physician: { Patient: ['read', 'create'] },
  nurse: { Patient: ['read', 'create'] },
  'allied-health': { Patient: ['read'] },
  'social-worker': { Patient: ['read'] },
  clerk: { Patient: ['read', 'create'] },
  'privacy-officer': { Patient: ['read'] },
  'user-admin': {},
  integration: { Patient: ['read', 'create'] },
};

export function isRole(name: string): name is Role {
  return (roles as readonly string[]).includes(name);
}

export function rolesPermit(userRoles: readonly Role[], resourceType: string, interaction: ClinicalInteraction): boolean {
  return userRoles.some((role) => roleMatrix[role][resourceType]?.includes(interaction) ?? false);
}
