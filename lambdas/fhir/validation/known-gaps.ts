/**
 * What the structural validator is known to accept or refuse against the shared test data
 * (../shared/data), by name and with the reason. test/lambdas/fhir/validation-shared-data.test.ts
 * holds the validator to exactly these lists, and scripts/validation-report.ts prints them.
 * Not imported by any Lambda.
 */

/** HL7 R4 examples that are not valid R4 and are rightly refused (file → reason). None so far. */
export const invalidHl7Examples: Readonly<Record<string, string>> = {};

/**
 * Structure-tier validator cases the validator does not reject (name → reason). None: all 31 are
 * caught (xml-bad-entities-json once its byte-order mark is dropped, as the API's decoder does).
 */
export const structureGaps: Readonly<Record<string, string>> = {};

/** Invariant-tier cases: FHIRPath invariants are outside structural validation (name → invariant). */
export const invariantGaps: Readonly<Record<string, string>> = {
  'questionnaire-enableWhen-dw': 'que-12: more than one enableWhen needs enableBehavior',
  'q-enablewhen-me-wrong': 'que-12: more than one enableWhen needs enableBehavior',
  'risk-assessment-probability-range': 'ras-2: a probability is at most 100',
  'encounter-period': 'per-1: a period starts before it ends',
  'ext-ccuk': 'sdf-20: no slicing on the root element of a profile',
};
