import { queryText } from '../lambdas/handlers/responses';
import type { MeteredServices } from './in-process';
import type { OperationSpec } from './latency';
import { benchPatient, patientId, patientsFor } from './synthea';

/**
 * The four operations of the latency figures, each as an HTTP request and as the same call on
 * the in-process services (whose DynamoDB requests the raw figures replay). Reads, searches and
 * `$everything` cycle over the seeded patients of the first scale, each with a full record
 * (100 Observations, 10 Encounters); creates post the bench's Patient with a new MRN each.
 */
export function operationSpecs(m: MeteredServices, observations: number): OperationSpec[] {
  const { ctx, services } = m;
  const subject = (sample: number) => patientId(sample % Math.max(1, Math.min(10, patientsFor(observations))));
  const searchParams = (id: string): [string, string][] => [
    ['patient', `Patient/${id}`],
    ['date', 'ge2020-01-01'],
  ];
  let created = 0;
  const mrn = () => `BENCH-LAT-${Date.now().toString(36)}-${created++}`;
  return [
    {
      operation: 'read',
      example: 'GET /Patient/{id}',
      http: (api, sample) => api.get(`/Patient/${subject(sample)}`),
      inProcess: () => services.reader.read(ctx, 'Patient', subject(0)),
    },
    {
      operation: 'create',
      example: 'POST /Patient',
      http: (api) => api.post('/Patient', benchPatient(mrn())),
      inProcess: () => services.writer.create(ctx, 'Patient', () => benchPatient(mrn())),
    },
    {
      operation: 'search',
      example: 'GET /Observation?patient=Patient/{id}&date=ge2020-01-01',
      http: (api, sample) => api.get(`/Observation?${new URLSearchParams(searchParams(subject(sample))).toString()}`),
      inProcess: () => services.search.search(ctx, 'Observation', searchParams(subject(0)), { lenient: false, query: queryText(searchParams(subject(0))) }),
    },
    {
      operation: '$everything',
      example: 'GET /Patient/{id}/$everything?_count=50',
      http: (api, sample) => api.get(`/Patient/${subject(sample)}/$everything?_count=50`),
      inProcess: () => services.search.everything(ctx, subject(0), [['_count', '50']], { lenient: false, query: '_count=50' }),
    },
  ];
}
