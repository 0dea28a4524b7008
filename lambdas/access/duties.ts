import { patientDataCategories } from './categories';
import { rolePermits, roles, type Role } from './roles';

/**
 * Separation of duties, derived from the role matrix: whoever administers staff accounts must not
 * also see patients (they could grant themselves any access), and whoever audits access must not
 * also write the clinical record they audit.
 */
const readsPatientData = (role: Role) => patientDataCategories.some((category) => rolePermits(role, category, 'read'));
const writesClinicalData = (role: Role) => rolePermits(role, 'clinical', 'write');

/** The roles that see patients' data; joining one of them is announced to the operators (auth stack). */
export const patientDataRoles: readonly Role[] = roles.filter(readsPatientData);

/** Why these roles may not be held together, or undefined when they may. */
export function dutyConflict(roles: readonly Role[]): string | undefined {
  const patientRole = roles.includes('user-admin') ? roles.find((role) => role !== 'user-admin' && readsPatientData(role)) : undefined;
  if (patientRole) return `Separation of duties: user-admin cannot be held together with ${patientRole}, which reads patient data`;
  const clinicalWriter = roles.includes('privacy-officer') ? roles.find(writesClinicalData) : undefined;
  if (clinicalWriter) return `Separation of duties: privacy-officer cannot be held together with ${clinicalWriter}, which writes clinical data`;
  return undefined;
}
