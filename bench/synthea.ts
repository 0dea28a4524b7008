/**
 * A Synthea-like record for the scaling figures, generated deterministically so that every run
 * (and every scale of one run) holds the same resources:
 *
 * - one Patient per 100 Observations (Synthea's shape: identifiers, name, telecom, address,
 *   narrative), so the population grows with N while each patient's record keeps its size;
 * - per patient, 10 ambulatory Encounters spread over 2015–2025;
 * - per Encounter, 10 Observations: 8 vital signs and 2 laboratory results (LOINC, UCUM), each
 *   with its subject, encounter, effective and issued instants, as Synthea writes them.
 *
 * Observation `i` belongs to patient `⌊i / 100⌋` and encounter `⌊i / 10⌋`, and has code `i mod 10`.
 */
export const observationsPerPatient = 100;
export const observationsPerEncounter = 10;
export const encountersPerPatient = observationsPerPatient / observationsPerEncounter;

export const loinc = 'http://loinc.org';
const ucum = 'http://unitsofmeasure.org';
const observationCategory = 'http://terminology.hl7.org/CodeSystem/observation-category';

export const observationCodes = [
  { code: '8867-4', display: 'Heart rate', unit: '/min', low: 55, high: 100, category: 'vital-signs' },
  { code: '9279-1', display: 'Respiratory rate', unit: '/min', low: 12, high: 20, category: 'vital-signs' },
  { code: '8480-6', display: 'Systolic blood pressure', unit: 'mm[Hg]', low: 100, high: 150, category: 'vital-signs' },
  { code: '8462-4', display: 'Diastolic blood pressure', unit: 'mm[Hg]', low: 60, high: 95, category: 'vital-signs' },
  { code: '29463-7', display: 'Body weight', unit: 'kg', low: 50, high: 110, category: 'vital-signs' },
  { code: '8302-2', display: 'Body height', unit: 'cm', low: 150, high: 195, category: 'vital-signs' },
  { code: '39156-5', display: 'Body mass index (BMI) [Ratio]', unit: 'kg/m2', low: 18, high: 35, category: 'vital-signs' },
  { code: '72514-3', display: 'Pain severity - 0-10 verbal numeric rating [Score] - Reported', unit: '{score}', low: 0, high: 6, category: 'vital-signs' },
  { code: '2339-0', display: 'Glucose [Mass/volume] in Blood', unit: 'mg/dL', low: 70, high: 140, category: 'laboratory' },
  { code: '4548-4', display: 'Hemoglobin A1c/Hemoglobin.total in Blood', unit: '%', low: 4.5, high: 8, category: 'laboratory' },
] as const;

const families = ['Tremblay', 'Gagnon', 'Roy', 'Côté', 'Bouchard', 'Gauthier', 'Morin', 'Lavoie', 'Fortin', 'Gagné', 'Ouellet', 'Pelletier', 'Bélanger', 'Lévesque', 'Bergeron'] as const;
const givens = ['Émilie', 'Louis', 'Nathalie', 'Jean-François', 'Marie-Ève', 'Olivier', 'Chloé', 'Mathieu', 'Léa', 'Gabriel', 'Zoé', 'Félix', 'Hélène', 'Samuel', 'Noémie'] as const;
const cities = ['Montréal', 'Québec', 'Laval', 'Gatineau', 'Longueuil', 'Sherbrooke', 'Saguenay', 'Lévis', 'Trois-Rivières', 'Terrebonne'] as const;

/** mulberry32: a small seeded PRNG, so the record is the same on every run. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(rng: () => number, list: readonly [T, ...T[]]): T => list[Math.floor(rng() * list.length)] ?? list[0];

/** The bench's own Patient (a unique MRN per run, so the identifier search finds exactly one). */
export function benchPatient(mrn: string) {
  return {
    resourceType: 'Patient',
    identifier: [{ system: 'urn:dsc:bench:mrn', value: mrn }],
    name: [{ use: 'official', family: 'Bergeron', given: ['Anne-Marie', 'Josée'] }],
    telecom: [{ system: 'phone', value: '514-555-0199', use: 'home' }],
    gender: 'female',
    birthDate: '1967-08-21',
    address: [{ line: ['1234 rue Sainte-Catherine O'], city: 'Montréal', state: 'QC', postalCode: 'H3G 1P1', country: 'CA' }],
    communication: [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code: 'fr-CA' }] }, preferred: true }],
  };
}

export function patientId(patient: number): string {
  return `bench-p${String(patient).padStart(5, '0')}`;
}

export function encounterId(encounter: number): string {
  return `bench-e${String(encounter).padStart(6, '0')}`;
}

/** Patients that hold Observations `0 … n-1`. */
export function patientsFor(observations: number): number {
  return Math.ceil(observations / observationsPerPatient);
}

export function encountersFor(observations: number): number {
  return Math.ceil(observations / observationsPerEncounter);
}

export function patient(index: number) {
  const rng = random(1_000_003 * (index + 1));
  const family = pick(rng, families);
  const given = pick(rng, givens);
  const id = patientId(index);
  const year = 1940 + Math.floor(rng() * 70);
  const month = 1 + Math.floor(rng() * 12);
  const day = 1 + Math.floor(rng() * 28);
  return {
    resourceType: 'Patient',
    id,
    text: { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">Generated by <a href="https://github.com/synthetichealth/synthea">Synthea</a> (bench record)</div>` },
    identifier: [
      { system: 'https://github.com/synthetichealth/synthea', value: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}` },
      {
        type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR', display: 'Medical Record Number' }], text: 'Medical Record Number' },
        system: 'urn:dsc:bench:mrn',
        value: `MRN-${String(index).padStart(7, '0')}`,
      },
    ],
    name: [{ use: 'official', family, given: [given], prefix: [rng() < 0.5 ? 'Mme' : 'M.'] }],
    telecom: [{ system: 'phone', value: `514-555-${String(1000 + (index % 9000)).padStart(4, '0')}`, use: 'home' }],
    gender: rng() < 0.5 ? 'female' : 'male',
    birthDate: `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`,
    address: [{ line: [`${100 + Math.floor(rng() * 9000)} rue Principale`], city: pick(rng, cities), state: 'QC', postalCode: 'H2X 1Y4', country: 'CA' }],
    maritalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus', code: 'M', display: 'M' }], text: 'M' },
    multipleBirthBoolean: false,
    communication: [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code: 'fr-CA', display: 'French (Canada)' }], text: 'French (Canada)' } }],
  };
}

/**
 * The start of encounter `index`: a day between 2015-01-01 and 2025-12-31, a daytime hour (UTC).
 * The days follow a golden-ratio (Weyl) sequence rather than random draws, so the first 100
 * encounters cover the years as evenly as the first 2,000: a date filter keeps the same share of
 * Observations at every scale, and the scaling figures compare like with like.
 */
export function encounterStart(index: number): Date {
  const rng = random(7_919 * (index + 1));
  const from = Date.UTC(2015, 0, 1);
  const days = (Date.UTC(2025, 11, 31) - from) / 86_400_000;
  const spread = ((index + 1) * 0.6180339887498949) % 1;
  const day = new Date(from + Math.floor(spread * days) * 86_400_000);
  day.setUTCHours(12 + Math.floor(rng() * 8), Math.floor(rng() * 4) * 15);
  return day;
}

export function encounter(index: number) {
  const start = encounterStart(index);
  const subject = patientId(Math.floor(index / encountersPerPatient));
  return {
    resourceType: 'Encounter',
    id: encounterId(index),
    status: 'finished',
    class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
    type: [{ coding: [{ system: 'http://snomed.info/sct', code: '185349003', display: 'Encounter for check up (procedure)' }], text: 'Encounter for check up (procedure)' }],
    subject: { reference: `Patient/${subject}` },
    period: { start: start.toISOString(), end: new Date(start.getTime() + 30 * 60_000).toISOString() },
  };
}

export function observation(index: number) {
  const rng = random(104_729 * (index + 1));
  const kind = observationCodes[index % observationCodes.length] ?? observationCodes[0];
  const encounterIndex = Math.floor(index / observationsPerEncounter);
  const effective = new Date(encounterStart(encounterIndex).getTime() + (index % observationsPerEncounter) * 60_000).toISOString();
  const value = Math.round((kind.low + rng() * (kind.high - kind.low)) * 10) / 10;
  return {
    resourceType: 'Observation',
    status: 'final',
    category: [{ coding: [{ system: observationCategory, code: kind.category, display: kind.category }] }],
    code: { coding: [{ system: loinc, code: kind.code, display: kind.display }], text: kind.display },
    subject: { reference: `Patient/${patientId(Math.floor(index / observationsPerPatient))}` },
    encounter: { reference: `Encounter/${encounterId(encounterIndex)}` },
    effectiveDateTime: effective,
    issued: effective,
    valueQuantity: { value, unit: kind.unit, system: ucum, code: kind.unit },
  };
}
