import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbAccessJournal } from '../audit/dynamodb-access-journal';
import { recorderWithoutRecord } from '../journal/compose';
import { CognitoStaffDirectory } from './cognito-staff-directory';
import { StaffAdminService } from './staff-admin-service';

/** The staff admin function's composition root: the user pool, and the journal its actions go to. */
export function staffAdminService(cognito: CognitoIdentityProviderClient, userPoolId: string, dynamo: DynamoDBDocumentClient, auditTableName: string, now?: () => Date): StaffAdminService {
  return new StaffAdminService(new CognitoStaffDirectory(cognito, userPoolId), recorderWithoutRecord(new DynamoDbAccessJournal(dynamo, auditTableName), now));
}
