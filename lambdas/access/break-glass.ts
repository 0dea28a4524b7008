import { breakGlassHeader, purposeOfUseHeader } from '../contracts/access-headers';
import { Invalid } from '../fhir/errors';
import type { Principal } from './principal';
import { roles, rolePermits, type Role } from './roles';

/** Long enough for a clinical explanation, short enough to keep a journal entry small. */
const maxReasonLength = 500;

/**
 * The break-glass reason of a request, from its header: percent-decoded UTF-8, trimmed. Undefined
 * without the header; a header that is empty, badly encoded, too long or holds control
 * characters is refused (400), so that no emergency access goes unexplained.
 */
export function breakGlassReasonOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  let reason: string;
  try {
    reason = decodeURIComponent(header).trim();
  } catch {
    throw new Invalid(`${breakGlassHeader} must be percent-encoded UTF-8`);
  }
  if (reason === '') throw new Invalid(`${breakGlassHeader} needs a reason: say why this emergency access is needed`);
  if (reason.length > maxReasonLength) throw new Invalid(`${breakGlassHeader} may be at most ${maxReasonLength} characters`);
  if (/[\u0000-\u001f\u007f]/.test(reason)) throw new Invalid(`${breakGlassHeader} may not contain control characters`);
  return reason;
}

/** The purpose of use, an HL7 v3 PurposeOfUse code such as TREAT or HOPERAT; undefined without the header. */
export function purposeOfUseOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const code = header.trim();
  if (!/^[A-Z]{2,20}$/.test(code)) throw new Invalid(`${purposeOfUseHeader} must be an HL7 v3 PurposeOfUse code such as TREAT`);
  return code;
}

/**
 * Break-glass is a clinician's act: the roles that may read clinical data, except the
 * integration role, which acts for no person who could answer for the override.
 */
export const breakGlassRoles: readonly Role[] = roles.filter((role) => role !== 'integration' && rolePermits(role, 'clinical', 'read'));

export function mayBreakGlass(principal: Principal): boolean {
  return principal.kind === 'staff' && principal.roles.some((role) => breakGlassRoles.includes(role));
}
