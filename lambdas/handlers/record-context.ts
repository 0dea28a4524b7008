import { principalFromEvent } from '../access/principal';
import { DynamoDbAccessJournal } from '../audit/dynamodb-access-journal';
import { allowedClientIdsEnvVar } from '../contracts/auth';
import { auditTable, recordTable } from '../contracts/tables';
import { RecordInteractions, type RequestContext, type ResourceValidator } from '../record/interactions';
import { documentClient } from '../platform/dynamodb';
import { listEnv, requiredEnv } from '../platform/environment';
import type { FhirRequest } from '../platform/http';
import { DynamoDbRecordStore } from '../store/dynamodb-record-store';

/** Wires the record interactions to DynamoDB once per execution environment. */
export function recordInteractions(validate?: ResourceValidator): RecordInteractions {
  const client = documentClient();
  const names = { record: requiredEnv(recordTable.nameEnvVar), audit: requiredEnv(auditTable.nameEnvVar) };
  return new RecordInteractions({ store: new DynamoDbRecordStore(client, names), journal: new DynamoDbAccessJournal(client, names.audit), validate });
}

let allowedClientIds: Set<string> | undefined;

export function requestContextOf(request: FhirRequest): RequestContext {
  const identity = request.event.requestContext.identity;
  allowedClientIds ??= listEnv(allowedClientIdsEnvVar);
  return {
    principal: principalFromEvent(request.event, allowedClientIds),
    requestId: request.requestId,
    sourceIp: identity?.sourceIp ?? undefined,
    userAgent: identity?.userAgent ?? undefined,
  };
}
