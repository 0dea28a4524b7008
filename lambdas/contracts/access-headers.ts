/**
 * Request headers the access policy reads, documented in the README and the CapabilityStatement.
 * Neither can grant a role, a scope or an identity: they only qualify an access already permitted.
 */

/**
 * Break-glass: a clinical role overrides a patient's restriction for this one request by giving a
 * reason. Free text in French or English; non-ASCII characters are percent-encoded UTF-8.
 */
export const breakGlassHeader = 'X-Break-Glass-Reason';

/** Purpose of use, an HL7 v3 PurposeOfUse code (TREAT, ETREAT, HOPERAT, ...); TREAT when absent, ETREAT under break-glass. */
export const purposeOfUseHeader = 'X-Purpose-Of-Use';
/** The securityContext of a Binary sent as raw bytes (HAPI FHIR's header): whose access rules and journal apply to it. */
export const securityContextHeader = 'X-Security-Context';
export const defaultPurposeOfUse = 'TREAT';
export const breakGlassPurposeOfUse = 'ETREAT';

/** The structured log field that marks a break-glass alert; the deployed metric filter matches it. */
export const breakGlassAlertField = { alert: 'break-glass' } as const;
