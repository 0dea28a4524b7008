import type { OutcomeIssue } from './errors';

/**
 * The Québec health insurance number (NAM, numéro d'assurance maladie, issued by the RAMQ).
 *
 * System URI: the Canadian URI Registry naming system listed for Québec jurisdictional health
 * numbers in HL7 Canada's CA Baseline (Patient profile notes, "Jurisdictional Health Number"),
 * https://github.com/HL7-Canada/ca-baseline, input/pagecontent/StructureDefinition-profile-patient-notes.md.
 *
 * Format: 4 letters (the first 3 of the family name, the first of the given name), then 8 digits:
 * YYMMDD of the birth date, the month plus 50 for women (01–12 or 51–62), then 2 administrative
 * digits. The century is not encoded, so a day is only checked against the longest month (29 for
 * February, since any YY may be a leap year).
 *
 * Values are accepted only as the card prints them: upper case, no spaces. We do not normalise:
 * identifier search matches values exactly, so one NAM stored as "TREJ 6502 1512" and another as
 * "TREJ65021512" would be two patients to a search; refusing at the door keeps one spelling.
 */
export const quebecHealthCardSystem = 'https://fhir.infoway-inforoute.ca/NamingSystem/ca-qc-patient-healthcare-id';

/** Longest day of each month (1–12); February has 29 because the year's century is unknown. */
const daysInMonth = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Problems with the Québec health card numbers of a resource: each `identifier` (array or single,
 * as some types have 0..1) whose system is quebecHealthCardSystem, in the resource and in its
 * contained resources. Diagnostics never echo the value: it is PHI.
 */
export function quebecIdentifierIssues(resource: Record<string, unknown>, resourceType: string): OutcomeIssue[] {
  const issues: OutcomeIssue[] = [];
  checkIdentifiers(resource.identifier, `${resourceType}.identifier`, issues);
  if (Array.isArray(resource.contained)) {
    resource.contained.forEach((contained, i) => {
      if (isRecord(contained)) checkIdentifiers(contained.identifier, `${resourceType}.contained[${i}].identifier`, issues);
    });
  }
  return issues;
}

function checkIdentifiers(identifier: unknown, path: string, issues: OutcomeIssue[]): void {
  if (Array.isArray(identifier)) {
    identifier.forEach((item, i) => {
      checkIdentifier(item, `${path}[${i}]`, issues);
    });
  } else {
    checkIdentifier(identifier, path, issues);
  }
}

function checkIdentifier(identifier: unknown, path: string, issues: OutcomeIssue[]): void {
  // A missing value (say, only a data-absent-reason extension) or a non-string one is the
  // structural validator's concern, not a malformed NAM.
  if (!isRecord(identifier) || identifier.system !== quebecHealthCardSystem || typeof identifier.value !== 'string') return;
  const problem = namProblem(identifier.value);
  if (problem !== undefined) {
    issues.push({
      severity: 'error',
      code: 'value',
      diagnostics: `Québec health insurance number (RAMQ NAM): ${problem}`,
      expression: [`${path}.value`],
    });
  }
}

/** Why a value is not a well-formed NAM, or undefined when it is one. */
function namProblem(value: string): string | undefined {
  const expected = 'expected 4 upper-case letters then 8 digits (YYMMDD with 50 added to the month for women, then 2 digits), no spaces';
  if (value.length !== 12) return `the value must be 12 characters long; ${expected}`;
  for (let i = 0; i < 4; i++) {
    const c = value.charCodeAt(i);
    if (c >= 0x61 && c <= 0x7a) return `letters must be upper case; ${expected}`;
    if (!(c >= 0x41 && c <= 0x5a)) return `the first 4 characters must be letters A–Z; ${expected}`;
  }
  for (let i = 4; i < 12; i++) {
    const c = value.charCodeAt(i);
    if (!(c >= 0x30 && c <= 0x39)) return `the last 8 characters must be digits; ${expected}`;
  }
  const encodedMonth = Number(value.slice(6, 8));
  const month = encodedMonth > 50 ? encodedMonth - 50 : encodedMonth;
  const maxDay = month >= 1 && month <= 12 ? daysInMonth[month - 1] : undefined;
  if (maxDay === undefined) return 'the birth month (characters 7–8) must be 01–12, or 51–62 for women';
  const day = Number(value.slice(8, 10));
  if (day < 1 || day > maxDay) return `the birth day (characters 9–10) must be 01–${maxDay} for that month`;
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
