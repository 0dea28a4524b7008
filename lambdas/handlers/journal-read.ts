import { tables } from '../contracts/tables';
import { journalService } from '../journal/compose';
import { accessReportBundle, journalSearchset } from '../journal/journal-bundles';
import { documentClient } from '../platform/dynamodb';
import { requiredEnv } from '../platform/environment';
import { fhirHandler } from '../platform/http';
import { requestContextOf } from '../platform/request-context';
import { queryText } from './responses';

const journal = journalService(documentClient(), requiredEnv(tables.audit.nameEnvVar));

export const handler = fhirHandler({
  'search-type': async (request) => {
    const page = await journal.search(requestContextOf(request), request.query, queryText(request.query));
    return { status: 200, body: journalSearchset(request.baseUrl, request.query, page) };
  },

  'instance-operation': async (request) => {
    const type = request.params.type ?? '';
    const id = request.params.id ?? '';
    const page = await journal.accessReport(requestContextOf(request), type, id, request.query, queryText(request.query));
    return { status: 200, body: accessReportBundle(request.baseUrl, `Patient/${id}`, request.query, page, new Date()) };
  },
});
