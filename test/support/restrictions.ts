/**
 * A patient's privacy restriction as a standard R4 Consent: permitted overall, with one deny
 * provision keeping one practitioner (as the record's primary performer) from one resource.
 */
export function restrictionDenying(
  practitioner: string,
  resource: string,
  patient: { readonly reference: string },
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    resourceType: 'Consent',
    status: 'active',
    scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
    category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
    patient,
    ...extra,
    policyRule: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'OPTIN' }] },
    provision: {
      type: 'permit',
      provision: [
        {
          type: 'deny',
          actor: [{ role: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'PRCP' }] }, reference: { reference: practitioner } }],
          data: [{ meaning: 'instance', reference: { reference: resource } }],
        },
      ],
    },
  };
}
