import { InternalServerError, ThrottlingException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it, vi } from 'vitest';
import { logger } from '../../../lambdas/platform/logger';
import { lambdaContext, mockedRecordFunction, requestEvent, staffClaims } from '../../support/api-events';
import { observationVersionItem } from '../../support/record-items';

/**
 * A failing journal write (LRSSS: every access leaves a trace) fails the read that needed it, and
 * the answer carries no record data, whichever read interaction it was. Through the deployed read
 * handler over a stubbed DynamoDB whose journal put fails.
 */
const { dynamo, handler } = mockedRecordFunction(() => import('../../../lambdas/handlers/record-read'));

/** Observation/o1, with its code among its search values too. */
const versionItem = (versionId: number) =>
  observationVersionItem(versionId, { searchValues: { subject: ['Patient/p1'], patient: ['Patient/p1'], code: ['|Haemoglobin'] } });

const interactions = [
  ['read', '/Observation/o1'],
  ['vread', '/Observation/o1/_history/2'],
  ['history', '/Observation/o1/_history'],
  ['search by _id', '/Observation?_id=o1'],
] as const;

const faults = [
  [503, 'throttled', () => new ThrottlingException({ message: 'Rate exceeded', $metadata: {} })],
  [503, 'failing on DynamoDB\'s side', () => new InternalServerError({ message: 'Internal server error', $metadata: {} })],
  [500, 'refused for another reason', () => Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' })],
] as const;

const stubRecord = () => {
  dynamo.on(QueryCommand).resolves({ Items: [versionItem(2), versionItem(1)] });
  dynamo.on(GetCommand).resolves({ Item: versionItem(2) });
};

describe('a journal entry that cannot be written', () => {
  it.each(interactions)('lets a %s through with its data once the journal entry is written (the control case)', async (_, path) => {
    stubRecord();
    dynamo.on(PutCommand).resolves({});
    const result = await handler(requestEvent('GET', path, { claims: staffClaims('nurse') }), lambdaContext);
    expect(result.statusCode).toBe(200);
    expect(result.body).toContain('Haemoglobin');
  });

  const cases = interactions.flatMap(([interaction, path]) => faults.map(([status, how, fault]) => [interaction, how, status, path, fault] as const));

  it.each(cases)('fails a %s with no record data when the journal is %s (%i)', async (_, __, status, path, fault) => {
    vi.spyOn(logger, 'error').mockImplementation(() => undefined);
    stubRecord();
    dynamo.on(PutCommand).rejects(fault());
    const result = await handler(requestEvent('GET', path, { claims: staffClaims('nurse') }), lambdaContext);

    expect(dynamo.commandCalls(PutCommand).length).toBeGreaterThan(0);
    expect(result.statusCode).toBe(status);
    expect((JSON.parse(result.body) as { resourceType: string }).resourceType).toBe('OperationOutcome');
    expect(result.body).not.toContain('Haemoglobin');
    expect(result.body).not.toContain('Patient/p1');
    expect(result.headers?.ETag).toBeUndefined();
  });
});
