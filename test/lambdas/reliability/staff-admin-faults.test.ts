import {
  AdminCreateUserCommand,
  AdminGetUserCommand,
  AdminListGroupsForUserCommand,
  AliasExistsException,
  CognitoIdentityProviderClient,
  InternalErrorException,
  InvalidParameterException,
  LimitExceededException,
  NotAuthorizedException,
  TooManyRequestsException,
  UserNotFoundException,
  UsernameExistsException,
} from '@aws-sdk/client-cognito-identity-provider';
import { InternalServerError } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { userPoolIdEnvVar } from '../../../lambdas/contracts/functions';
import { tables } from '../../../lambdas/contracts/tables';
import { lambdaContext, recordFunctionEnv, requestEvent, staffClaims, type LambdaHandler } from '../../support/api-events';

/**
 * Cognito's errors through the deployed staff admin function: each a clear 4xx or 503 with an
 * OperationOutcome, never a bare 500. Cognito and the journal's DynamoDB are stubbed.
 */
const cognito = mockClient(CognitoIdentityProviderClient);
const dynamo = mockClient(DynamoDBDocumentClient);
let handler: LambdaHandler;

beforeAll(async () => {
  Object.assign(process.env, recordFunctionEnv, { [userPoolIdEnvVar]: 'ca-central-1_Staff', [tables.audit.nameEnvVar]: 'audit-table' });
  handler = ((await import('../../../lambdas/handlers/staff-admin')) as { handler: LambdaHandler }).handler;
});

beforeEach(() => {
  cognito.reset();
  dynamo.reset();
  dynamo.on(PutCommand).resolves({});
});

const adminClaims = { ...staffClaims('user-admin'), scope: 'dsc-fhir/staff.admin' };
const call = (method: string, path: string, body?: object) =>
  handler(
    requestEvent(method, path, { claims: adminClaims, ...(body ? { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } } : {}) }),
    lambdaContext,
  );
const issueOf = (result: APIGatewayProxyResult) => (JSON.parse(result.body) as { resourceType: string; issue: { code: string }[] }).issue[0];

const invitation = { email: 'nouvelle@dsc.example', givenName: 'Marie', familyName: 'Côté', roles: ['nurse'] };
const metadata = { $metadata: {} };

describe('Cognito errors in the staff admin API', () => {
  it.each([
    [404, 'not-found', 'UserNotFoundException', () => new UserNotFoundException({ message: 'User does not exist.', ...metadata })],
    [403, 'forbidden', 'NotAuthorizedException', () => new NotAuthorizedException({ message: 'Not authorized.', ...metadata })],
    [400, 'invalid', 'InvalidParameterException', () => new InvalidParameterException({ message: 'Invalid username.', ...metadata })],
    [503, 'transient', 'TooManyRequestsException', () => new TooManyRequestsException({ message: 'Too many requests.', ...metadata })],
    [503, 'transient', 'LimitExceededException', () => new LimitExceededException({ message: 'Limit exceeded.', ...metadata })],
    [503, 'transient', 'InternalErrorException', () => new InternalErrorException({ message: 'Internal error.', ...metadata })],
  ])('answers %i (%s) when reading an account meets %s', async (status, code, _, error) => {
    cognito.on(AdminGetUserCommand).rejects(error());
    cognito.on(AdminListGroupsForUserCommand).resolves({ Groups: [] });
    const result = await call('GET', '/admin/users/someone');
    expect(result.statusCode).toBe(status);
    expect(issueOf(result)?.code).toBe(code);
    if (status === 503) expect(result.headers?.['Retry-After']).toBe('1');
  });

  it.each([
    [409, 'conflict', 'UsernameExistsException', () => new UsernameExistsException({ message: 'An account with the given email already exists.', ...metadata })],
    [409, 'conflict', 'AliasExistsException', () => new AliasExistsException({ message: 'An account with the email already exists.', ...metadata })],
    [400, 'invalid', 'InvalidParameterException', () => new InvalidParameterException({ message: 'Invalid email address format.', ...metadata })],
    [503, 'transient', 'TooManyRequestsException', () => new TooManyRequestsException({ message: 'Too many requests.', ...metadata })],
  ])('answers %i (%s) when an invitation meets %s, and journals the failed attempt', async (status, code, _, error) => {
    cognito.on(AdminCreateUserCommand).rejects(error());
    const result = await call('POST', '/admin/users', invitation);
    expect(result.statusCode).toBe(status);
    expect(issueOf(result)?.code).toBe(code);
    expect(dynamo.commandCalls(PutCommand)).toHaveLength(1);
  });

  it('answers 503 with no account data when the journal entry of a read cannot be written', async () => {
    cognito.on(AdminGetUserCommand).resolves({ Username: 'sub-1', UserAttributes: [{ Name: 'email', Value: 'nouvelle@dsc.example' }], Enabled: true, UserStatus: 'CONFIRMED' });
    cognito.on(AdminListGroupsForUserCommand).resolves({ Groups: [{ GroupName: 'nurse' }] });
    dynamo.on(PutCommand).rejects(new InternalServerError({ message: 'Internal server error', ...metadata }));
    const result = await call('GET', '/admin/users/sub-1');
    expect(result.statusCode).toBe(503);
    expect(issueOf(result)?.code).toBe('transient');
    expect(result.body).not.toContain('nouvelle@dsc.example');
  });
});
