import { userPoolIdEnvVar } from '../contracts/functions';
import { tables } from '../contracts/tables';
import { pageUrl } from '../fhir/bundle';
import { cognitoClient } from '../platform/cognito';
import { documentClient } from '../platform/dynamodb';
import { requiredEnv } from '../platform/environment';
import { fhirHandler, jsonBody, type FhirRequest, type FhirResponse } from '../platform/http';
import { requestContextOf } from '../platform/request-context';
import { staffAdminService } from '../staff/compose';
import { accountChangeOf, invitationOf, listingOf } from '../staff/staff-requests';
import { queryText } from './responses';

const admin = staffAdminService(cognitoClient(), requiredEnv(userPoolIdEnvVar), documentClient(), requiredEnv(tables.audit.nameEnvVar));

/** Staff accounts are plain JSON, not FHIR; errors stay OperationOutcomes. */
const json = (status: number, body?: unknown, headers: Record<string, string> = {}): FhirResponse => ({
  status,
  ...(body === undefined ? {} : { body }),
  headers: { ...(body === undefined ? {} : { 'Content-Type': 'application/json; charset=utf-8' }), ...headers },
});
const jsonTypes: ReadonlySet<string> = new Set(['application/json']);
const mergePatchTypes: ReadonlySet<string> = new Set(['application/merge-patch+json', 'application/json']);
const usernameOf = (request: FhirRequest) => request.params.username ?? '';

export const handler = fhirHandler({
  'search-type': async (request) => {
    const page = await admin.list(requestContextOf(request), listingOf(request.query), queryText(request.query));
    return json(200, { accounts: page.accounts, ...(page.cursor ? { next: pageUrl(request.baseUrl, '/admin/users', request.query, page.cursor) } : {}) });
  },

  create: async (request) => {
    const account = await admin.invite(requestContextOf(request), invitationOf(jsonBody(request, jsonTypes, 'application/json')));
    return json(201, account, { Location: `${request.baseUrl}/admin/users/${encodeURIComponent(account.username)}` });
  },

  read: async (request) => json(200, await admin.get(requestContextOf(request), usernameOf(request))),

  patch: async (request) => json(200, await admin.change(requestContextOf(request), usernameOf(request), accountChangeOf(jsonBody(request, mergePatchTypes, 'application/merge-patch+json')))),

  'instance-operation': async (request) => {
    await admin.signOut(requestContextOf(request), usernameOf(request));
    return json(204);
  },
});
