import { describe, expect, it } from 'vitest';
import { corsHeaders, parseOrigins, preflightHeaders } from '../../../lambdas/contracts/cors';

const allowed = parseOrigins('https://app.example.org, http://localhost:5173');

describe('CORS headers', () => {
  it('echoes an allowed origin, exposes Location and ETag, and varies on Origin', () => {
    expect(corsHeaders('https://app.example.org', allowed)).toEqual({
      'Access-Control-Allow-Origin': 'https://app.example.org',
      'Access-Control-Expose-Headers': 'Location, ETag, Last-Modified, X-Request-Id',
      Vary: 'Origin',
    });
  });

  it('lets no other origin in, not even a look-alike', () => {
    for (const origin of ['https://evil.example.org', 'https://app.example.org.evil.net', 'null', undefined]) {
      expect(corsHeaders(origin, allowed)['Access-Control-Allow-Origin']).toBeUndefined();
    }
  });

  it('adds nothing at all when CORS is off', () => {
    expect(corsHeaders('https://app.example.org', new Set())).toEqual({});
  });

  it('answers a preflight from an allowed origin with the methods of its path, headers and a max age, never credentials', () => {
    const headers = preflightHeaders('http://localhost:5173', allowed, ['GET', 'POST']);
    expect(headers['Access-Control-Allow-Headers']?.split(',')).toEqual(expect.arrayContaining(['Authorization', 'X-Break-Glass-Reason', 'X-Purpose-Of-Use']));
    expect(headers['Access-Control-Allow-Methods']).toBe('GET,POST,OPTIONS');
    expect(headers['Access-Control-Max-Age']).toBe('3600');
    expect(headers['Access-Control-Allow-Credentials']).toBeUndefined();
    expect(preflightHeaders('https://evil.example.org', allowed, ['GET'])['Access-Control-Allow-Methods']).toBeUndefined();
  });
});
