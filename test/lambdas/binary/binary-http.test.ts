import { describe, expect, it } from 'vitest';
import { binaryFormOf, isRawBinary, negotiatesBinaryContent, rawBinaryBody } from '../../../lambdas/binary/binary-http';
import { maxRequestBodyBytes } from '../../../lambdas/contracts/request-limits';
import { PayloadTooLarge } from '../../../lambdas/fhir/errors';
import { fhirHandler, RawContent, type FhirRequest } from '../../../lambdas/platform/http';
import { lambdaContext, requestEvent } from '../../support/api-events';

/** What the handlers see of a request: captured from a handler built for the purpose. */
async function requestOf(method: string, path: string, options: Parameters<typeof requestEvent>[2] = {}): Promise<FhirRequest> {
  let seen: FhirRequest | undefined;
  const capture = (request: FhirRequest) => {
    seen = request;
    return Promise.resolve({ status: 204 });
  };
  const handler = fhirHandler({ read: capture, create: capture, update: capture }, { negotiatesContent: () => true });
  await handler(requestEvent(method, path, options), lambdaContext);
  if (!seen) throw new Error('the handler was not called');
  return seen;
}

describe('raw Binary requests', () => {
  it('turns raw bytes and X-Security-Context into the Binary they stand for, byte for byte', async () => {
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0xff, 0xfe, 0x00]);
    const request = await requestOf('POST', '/Binary', { body: bytes, headers: { 'Content-Type': 'image/png', 'X-Security-Context': 'Patient/p1' } });
    expect(isRawBinary(request)).toBe(true);
    expect(rawBinaryBody(request)).toEqual({ resourceType: 'Binary', contentType: 'image/png', securityContext: { reference: 'Patient/p1' }, data: bytes.toString('base64') });
  });

  it('takes a Binary sent as FHIR JSON as JSON, and other types never as raw', async () => {
    expect(isRawBinary(await requestOf('POST', '/Binary', { body: '{}', headers: { 'Content-Type': 'application/fhir+json; charset=utf-8' } }))).toBe(false);
    expect(isRawBinary(await requestOf('POST', '/Observation', { body: 'x', headers: { 'Content-Type': 'image/png' } }))).toBe(false);
  });

  it('answers content over the limit with 413 pointing to the presigned upload', async () => {
    const request = await requestOf('PUT', '/Binary/b1', { body: Buffer.alloc(maxRequestBodyBytes + 1), headers: { 'Content-Type': 'application/pdf' } });
    expect(() => rawBinaryBody(request)).toThrow(PayloadTooLarge);
    expect(() => rawBinaryBody(request)).toThrow(/Binary\/\$upload-url/);
  });

  it('refuses an X-Security-Context that is not a reference', async () => {
    const request = await requestOf('POST', '/Binary', { body: 'x', headers: { 'Content-Type': 'text/plain', 'X-Security-Context': 'http://evil/Patient/1' } });
    expect(() => rawBinaryBody(request)).toThrow(/X-Security-Context|x-security-context/);
  });
});

describe('Binary reads', () => {
  it('answer FHIR JSON when Accept or _format asks for it, raw bytes otherwise (a wildcard is not asking)', async () => {
    const form = async (headers: Record<string, string>, query = '') => binaryFormOf(await requestOf('GET', `/Binary/b1${query}`, { headers }));
    expect(await form({ Accept: 'application/fhir+json' })).toBe('fhir');
    expect(await form({ Accept: 'image/png, application/json;q=0.5' })).toBe('fhir');
    expect(await form({}, '?_format=json')).toBe('fhir');
    expect(await form({ Accept: '*/*' })).toBe('raw');
    expect(await form({})).toBe('raw');
    expect(negotiatesBinaryContent(await requestOf('GET', '/Binary/b1'))).toBe(true);
    expect(negotiatesBinaryContent(await requestOf('GET', '/Patient/p1'))).toBe(false);
    // _format is held to JSON as on every route (xml: 406).
    expect(negotiatesBinaryContent(await requestOf('GET', '/Binary/b1?_format=xml'))).toBe(false);
  });

  it('send raw content base64-encoded with isBase64Encoded and its own content type, security headers kept', async () => {
    const bytes = Buffer.from([0x00, 0xff, 0x10, 0x80]);
    const handler = fhirHandler({ read: () => Promise.resolve({ status: 200, body: new RawContent(bytes, 'image/png') }) }, { negotiatesContent: () => true });
    const result = await handler(requestEvent('GET', '/Binary/b1', { headers: { Accept: 'image/png' } }), lambdaContext);
    expect(result).toMatchObject({ statusCode: 200, isBase64Encoded: true, headers: { 'Content-Type': 'image/png', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' } });
    expect(Buffer.from(result.body, 'base64').equals(bytes)).toBe(true);
  });

  it('keep refusing non-JSON Accept on every other route (406)', async () => {
    const handler = fhirHandler({ read: () => Promise.resolve({ status: 200, body: {} }) });
    const result = await handler(requestEvent('GET', '/Patient/p1', { headers: { Accept: 'image/png' } }), lambdaContext);
    expect(result.statusCode).toBe(406);
  });
});
