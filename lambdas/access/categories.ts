import { categoryOf, type ResourceType } from '../fhir/registry/registry';

/**
 * Data categories for access control, derived from the category the official R4 definitions
 * give each resource type (e.g. `Clinical.Summary`), so the role matrix covers all 145 types
 * without listing them. The few types whose official category misleads are overridden below,
 * each with its reason.
 */
export const dataCategories = ['demographics', 'scheduling', 'clinical', 'financial', 'consent', 'reference', 'journal'] as const;
export type DataCategory = (typeof dataCategories)[number];

/** The categories that hold information about a person: what separation of duties keeps from user administrators. */
export const patientDataCategories: readonly DataCategory[] = ['demographics', 'scheduling', 'clinical', 'financial', 'consent'];

export const categoryDescriptions: Record<DataCategory, string> = {
  demographics: 'who people and places are: Patient, Practitioner, Organization, Location…',
  scheduling: 'appointments, encounters and episodes of care',
  clinical: 'the clinical record: observations, conditions, medications, care plans, documents, attachments',
  financial: 'claims, coverage, billing',
  consent: 'consents (LRSSS restrictions) and provenance',
  reference: 'definitions and terminology: Questionnaire, ValueSet, Medication knowledge…',
  journal: 'the access journal (AuditEvent): written by the API itself, never through the record',
};

const byOfficialCategory: Record<string, DataCategory> = {
  'Base.Individuals': 'demographics',
  'Base.Entities': 'demographics',
  'Base.Workflow': 'scheduling',
  'Base.Management': 'scheduling',
  'Clinical.Summary': 'clinical',
  'Clinical.Diagnostics': 'clinical',
  'Clinical.Medications': 'clinical',
  'Clinical.Care Provision': 'clinical',
  'Clinical.Request & Response': 'clinical',
  'Foundation.Documents': 'clinical', // notes and documents are clinical content
  'Financial.Billing': 'financial',
  'Financial.General': 'financial',
  'Financial.Payment': 'financial',
  'Financial.Support': 'financial',
  'Foundation.Security': 'consent',
  'Foundation.Terminology': 'reference',
  'Foundation.Conformance': 'reference',
  'Foundation.Other': 'reference',
  'Specialized.Definitional Artifacts': 'reference',
  'Specialized.Evidence-Based Medicine': 'reference',
  'Specialized.Medication Definition': 'reference',
  'Specialized.Public Health & Research': 'clinical', // ResearchSubject names a patient
  'Specialized.Quality Reporting & Testing': 'reference',
};

const overrides: Partial<Record<ResourceType, DataCategory>> = {
  Flag: 'clinical', // Base.Management, but flags carry clinical warnings
  List: 'clinical', // Base.Management, but lists hold problem and medication lists
  Task: 'clinical', // Base.Workflow, but tasks carry clinical orders
  Binary: 'clinical', // attachments: scanned notes, images
  Basic: 'clinical', // anything a system could not model otherwise
  Bundle: 'clinical', // stored document Bundles
  Media: 'clinical',
  AuditEvent: 'journal', // written by the API itself, never by clients
  MeasureReport: 'clinical', // an individual MeasureReport names its patient
  Library: 'reference', // Base.Management, but a library of knowledge artifacts, not scheduling
  VerificationResult: 'demographics', // Base.Workflow, but it verifies practitioner and organization data
  MedicationKnowledge: 'reference', // Clinical.Medications, but drug knowledge, about no patient
  Linkage: 'demographics', // Foundation.Other, but it links a person's records
};

export function dataCategoryOf(type: ResourceType): DataCategory {
  const category = overrides[type] ?? byOfficialCategory[categoryOf(type)];
  if (!category) throw new Error(`No data category for ${type} (${categoryOf(type)})`);
  return category;
}
