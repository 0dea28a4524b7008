import { uuidV5 } from '../../../lambdas/bundle/deterministic-id';

/**
 * A Synthea-shaped transaction Bundle as large as the biggest real ones (1,200+ entries, about
 * 4 MB): the Patient first, then Encounters that refer to it, each followed by its Observations,
 * a Claim and an ExplanationOfBenefit that refer to the Encounter; Practitioners, Organizations
 * and Locations by conditional reference, as Synthea writes them when they come from separate
 * support bundles. `narrative` pads each resource's text so the size is realistic.
 */
export function syntheaLikeBundle(options: { encounters: number; observationsPerEncounter: number; narrative: number }) {
  const namespace = '0f3a6c2e-1b4d-4e8f-9a7c-5d2e3f4a5b6c';
  const urn = (name: string) => `urn:uuid:${uuidV5(name, namespace)}`;
  const text = (label: string) => ({ status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">${label} ${'·'.repeat(options.narrative)}</div>` });
  const post = (fullUrl: string, resource: Record<string, unknown>) => ({ fullUrl, resource, request: { method: 'POST', url: resource.resourceType } });
  const patient = urn('patient');
  const entry = [post(patient, { resourceType: 'Patient', text: text('patient'), identifier: [{ system: 'https://github.com/synthetichealth/synthea', value: 'p-1' }] })];
  for (let e = 0; e < options.encounters; e++) {
    const encounter = urn(`encounter-${e}`);
    const npi = `Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|99999${e % 7}`;
    const organization = `Organization?identifier=https://github.com/synthetichealth/synthea|org-${e % 3}`;
    entry.push(
      post(encounter, {
        resourceType: 'Encounter',
        text: text(`encounter ${e}`),
        status: 'finished',
        class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
        subject: { reference: patient },
        participant: [{ individual: { reference: npi } }],
        location: [{ location: { reference: `Location?identifier=https://github.com/synthetichealth/synthea|loc-${e % 5}` } }],
        serviceProvider: { reference: organization },
      }),
    );
    for (let o = 0; o < options.observationsPerEncounter; o++) {
      entry.push(
        post(urn(`observation-${e}-${o}`), {
          resourceType: 'Observation',
          text: text(`observation ${e}.${o}`),
          status: 'final',
          code: { coding: [{ system: 'http://loinc.org', code: '8302-2' }] },
          subject: { reference: patient },
          encounter: { reference: encounter },
          valueQuantity: { value: 170 + o, unit: 'cm' },
        }),
      );
    }
    const claim = urn(`claim-${e}`);
    entry.push(
      post(claim, { resourceType: 'Claim', text: text(`claim ${e}`), status: 'active', patient: { reference: patient }, provider: { reference: organization }, item: [{ sequence: 1, encounter: [{ reference: encounter }] }] }),
      post(urn(`eob-${e}`), { resourceType: 'ExplanationOfBenefit', text: text(`eob ${e}`), patient: { reference: patient }, claim: { reference: claim }, careTeam: [{ sequence: 1, provider: { reference: npi } }] }),
    );
  }
  return { resourceType: 'Bundle', type: 'transaction', entry };
}
