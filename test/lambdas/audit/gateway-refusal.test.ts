import { describe, expect, it } from 'vitest';
import { auditEventOfItem, journalItem } from '../../../lambdas/audit/access-journal';
import { accessLogRecordOf, apiSubject, gatewayRefusalEntry, isGatewayRefusal, type AccessLogRecord } from '../../../lambdas/audit/gateway-refusal';

const recorded = new Date('2026-11-26T09:00:00.000Z');

/** A refused read of a patient, as API Gateway logs it (the stage in front of the path). */
const refusal = (fields: Partial<AccessLogRecord> = {}): AccessLogRecord => ({
  requestId: 'req-1',
  ip: '203.0.113.9',
  userAgent: 'curl/8.5.0',
  httpMethod: 'GET',
  path: '/r4/Patient/p1',
  resourcePath: '/{type}/{id}',
  status: '401',
  errorType: 'UNAUTHORIZED',
  ...fields,
});

const entryOf = (record: AccessLogRecord) => {
  const entry = gatewayRefusalEntry(record, recorded);
  if (!entry) throw new Error('no journal entry');
  return entry;
};

describe('which access log lines are gateway refusals', () => {
  it('selects the authorizer\'s refusals by their error type', () => {
    expect(isGatewayRefusal(refusal({ errorType: 'UNAUTHORIZED', status: '401' }))).toBe(true);
    expect(isGatewayRefusal(refusal({ errorType: 'ACCESS_DENIED', status: '403' }))).toBe(true);
  });

  it('leaves out a function\'s own 401 or 403 (no error type: the function journaled it) and the gateway\'s other answers', () => {
    expect(gatewayRefusalEntry(refusal({ errorType: undefined, status: '403' }), recorded)).toBeUndefined();
    expect(gatewayRefusalEntry(refusal({ errorType: undefined, status: '401' }), recorded)).toBeUndefined();
    for (const errorType of ['WAF_FILTERED', 'THROTTLED', 'MISSING_AUTHENTICATION_TOKEN', 'REQUEST_TOO_LARGE']) {
      expect(gatewayRefusalEntry(refusal({ errorType, status: '403' }), recorded), errorType).toBeUndefined();
    }
  });
});

describe('the journal entry of a refusal', () => {
  it('journals a refused read of a patient under the patient, as a denied read (minor failure), with the error type', () => {
    const { event, patient } = entryOf(refusal());
    expect(patient).toBe('Patient/p1');
    expect(event).toMatchObject({ action: 'R', subtype: [{ code: 'read' }], outcome: '4', outcomeDesc: 'denied', recorded: recorded.toISOString() });
    expect(event.entity?.[0]?.what).toEqual({ reference: 'Patient/p1' });
    expect(event.extension).toEqual(
      expect.arrayContaining([
        { url: 'urn:dsc:audit:gateway-error', valueString: 'UNAUTHORIZED' },
        { url: 'urn:dsc:audit:request-id', valueString: 'req-1' },
        { url: 'urn:dsc:audit:user-agent', valueString: 'curl/8.5.0' },
      ]),
    );
  });

  it('names the subject as the functions do for a denial: Type/id, else the type, else the API', () => {
    const subject = (method: string, path: string, resourcePath: string) => entryOf(refusal({ httpMethod: method, path, resourcePath })).patient;
    expect(subject('GET', '/r4/Patient/p1/$everything', '/{type}/{id}/{operation}')).toBe('Patient/p1');
    expect(subject('GET', '/r4/Patient/p1/$access-report', '/{type}/{id}/$access-report')).toBe('Patient/p1');
    expect(subject('GET', '/r4/Observation/o1/_history/2', '/{type}/{id}/_history/{vid}')).toBe('Observation/o1');
    expect(subject('POST', '/r4/Observation', '/{type}')).toBe('Observation');
    expect(subject('GET', '/r4/AuditEvent', '/AuditEvent')).toBe('AuditEvent');
    expect(subject('GET', '/r4/admin/users/someone', '/admin/users/{username}')).toBe('urn:dsc:staff');
    expect(subject('GET', '/r4/NotAType/x', '/{type}/{id}')).toBe(apiSubject);
    expect(subject('GET', `/r4/Patient/${'x'.repeat(65)}`, '/{type}/{id}')).toBe('Patient');
  });

  it('reads the path below a custom domain\'s base path, and a path logged without a stage', () => {
    expect(entryOf(refusal({ path: '/Patient/p1' })).patient).toBe('Patient/p1');
    expect(entryOf(refusal({ path: '/fhir/r4/Patient/p1' })).patient).toBe('Patient/p1');
  });

  it('takes the action from the route: an update, a create, a search', () => {
    const action = (httpMethod: string, path: string, resourcePath: string) => entryOf(refusal({ httpMethod, path, resourcePath, errorType: 'ACCESS_DENIED' })).event.subtype?.[0]?.code;
    expect(action('PUT', '/r4/Patient/p1', '/{type}/{id}')).toBe('update');
    expect(action('POST', '/r4/Patient', '/{type}')).toBe('create');
    expect(action('GET', '/r4/Patient', '/{type}')).toBe('search-type');
    expect(action('DELETE', '/r4/Patient/p1', '/{type}/{id}')).toBe('delete');
  });

  it('names an unauthenticated caller by its address alone: no subject, client nor agent index key', () => {
    const { event } = entryOf(refusal());
    expect(event.agent).toEqual([expect.objectContaining({ who: { display: 'unauthenticated' }, altId: 'unauthenticated', network: { address: '203.0.113.9', type: '2' }, role: [] })]);
    expect(event.agent[0]).not.toHaveProperty('type');
    expect(event.agent[0]).not.toHaveProperty('policy');
    expect(journalItem(event, 'Patient/p1')).not.toHaveProperty('agent');
  });

  it('names a caller whose token was valid (a scope 403) by its subject and client: a person, or an integration client', () => {
    const staff = entryOf(refusal({ errorType: 'ACCESS_DENIED', status: '403', sub: 'sub-1', clientId: 'web' })).event;
    expect(staff.agent[0]).toMatchObject({ who: { identifier: { value: 'sub-1' } }, policy: ['urn:dsc:client:web'], type: { coding: [{ code: 'humanuser' }] } });
    expect(journalItem(staff, 'Patient/p1')).toMatchObject({ agent: 'sub-1' });
    const system = entryOf(refusal({ errorType: 'ACCESS_DENIED', status: '403', sub: 'client-9', clientId: 'client-9' })).event;
    expect(system.agent[0]).toMatchObject({ who: { identifier: { value: 'client-9' } }, type: { coding: [{ code: 'dataprocessor' }] } });
  });

  it('is stored and read back as the very same AuditEvent', () => {
    for (const record of [refusal(), refusal({ errorType: 'ACCESS_DENIED', sub: 'client-9', clientId: 'client-9', userAgent: undefined })]) {
      const { event, patient } = entryOf(record);
      expect(auditEventOfItem(journalItem(event, patient))).toEqual(event);
    }
  });
});

describe('an access log line', () => {
  it('is read by the access log field names, API Gateway\'s "-" standing for a missing value', () => {
    const line = JSON.stringify({ requestId: 'req-1', ip: '203.0.113.9', user: '-', userAgent: '-', httpMethod: 'GET', path: '/r4/Patient/p1', resourcePath: '/{type}/{id}', status: '401', errorType: 'UNAUTHORIZED', sub: '-', clientId: '-', tlsVersion: 'TLSv1.3' });
    expect(accessLogRecordOf(line)).toEqual({ requestId: 'req-1', ip: '203.0.113.9', httpMethod: 'GET', path: '/r4/Patient/p1', resourcePath: '/{type}/{id}', status: '401', errorType: 'UNAUTHORIZED' });
  });

  it('is not a record when it is not JSON or lacks what identifies the request', () => {
    expect(accessLogRecordOf('not json')).toBeUndefined();
    expect(accessLogRecordOf('"a string"')).toBeUndefined();
    expect(accessLogRecordOf(JSON.stringify({ requestId: 'req-1', ip: '203.0.113.9', httpMethod: 'GET', status: '401' }))).toBeUndefined();
  });
});
