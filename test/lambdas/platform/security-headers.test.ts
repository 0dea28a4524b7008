import { beforeAll, describe, expect, it } from 'vitest';
import { gatewayResponseHeaders, methodNotAllowedResponse } from '../../../lambdas/contracts/gateway-responses';
import { securityHeaders } from '../../../lambdas/contracts/security-headers';
import { lambdaContext, loadRecordHandler, requestEvent, type LambdaHandler } from '../../support/api-events';

/** The headers as the client sees them: names are case-insensitive. */
const lowerCased = (headers: Readonly<Record<string, unknown>> | undefined) => Object.fromEntries(Object.entries(headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
const expected = lowerCased(securityHeaders);

describe('security headers', () => {
  let metadata: LambdaHandler;
  beforeAll(async () => {
    metadata = await loadRecordHandler(() => import('../../../lambdas/handlers/metadata'));
  });

  it('are sent with HSTS for two years, no-store, nosniff and no framing', () => {
    expect(expected).toEqual({
      'cache-control': 'no-store',
      'strict-transport-security': 'max-age=63072000; includeSubDomains',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
    });
  });

  it('are on a function\'s answer', async () => {
    const result = await metadata(requestEvent('GET', '/metadata'), lambdaContext);
    expect(result.statusCode).toBe(200);
    expect(lowerCased(result.headers)).toMatchObject(expected);
  });

  it('are on a function\'s refusal, an OperationOutcome', async () => {
    const result = await metadata(requestEvent('GET', '/metadata', { headers: { Accept: 'application/xml' } }), lambdaContext);
    expect(result.statusCode).toBe(406);
    expect(lowerCased(result.headers)).toMatchObject(expected);
  });

  it('are on every answer of the gateway itself (its errors and 405s), with CORS on or off', () => {
    for (const cors of [true, false]) expect(lowerCased({ ...gatewayResponseHeaders(cors), ...methodNotAllowedResponse(['GET']).headers })).toMatchObject(expected);
  });
});
