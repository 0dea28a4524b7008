import { capabilityStatement } from '../fhir/capability-statement';
import { fhirHandler } from '../platform/http';

const software = { name: 'DSC', version: process.env.DSC_VERSION ?? 'dev' };
// kind=instance: the statement describes this running deployment, as of its start.
const startedAt = new Date();

export const handler = fhirHandler({
  capabilities: async (request) => ({ status: 200, body: capabilityStatement(request.baseUrl, software, startedAt) }),
});
