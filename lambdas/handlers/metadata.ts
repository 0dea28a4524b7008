import { corsAllowedOriginsEnvVar, parseOrigins } from '../contracts/cors';
import { capabilityStatement } from '../fhir/capability-statement';
import { fhirHandler } from '../platform/http';

const software = { name: 'DSC', version: process.env.DSC_VERSION ?? 'dev' };
const startedAt = new Date();
const cors = parseOrigins(process.env[corsAllowedOriginsEnvVar]).size > 0;

export const handler = fhirHandler({
  capabilities: (request) => Promise.resolve({ status: 200, body: capabilityStatement({ baseUrl: request.baseUrl, software, date: startedAt, cors }) }),
});
