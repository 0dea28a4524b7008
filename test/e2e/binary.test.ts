import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { maxRequestBodyBytes } from '../../lambdas/contracts/request-limits';
import { bootLocalStack, demoUsers, expectJson, expectOperationOutcome, expectStatus, type StoredResource } from '../support/e2e-stack';
import { journalOf } from '../support/journal';

/**
 * Binary and attachments through `npm start`'s stack: content in s3rver, a pointer in DynamoDB,
 * raw and FHIR JSON forms, presigned upload and download, DocumentReference attachments moved to
 * a Binary, the 413 beyond what the API carries, and access control with its journal.
 */
const stack = bootLocalStack();
const patient = 'Patient/demo-tremblay';

async function createRaw(bytes: Uint8Array, contentType: string, securityContext = patient): Promise<string> {
  const response = await stack.request('/Binary', { method: 'POST', body: bytes, headers: { 'Content-Type': contentType, 'X-Security-Context': securityContext } });
  const created = await expectJson(response, 201);
  expect(created).toMatchObject({ resourceType: 'Binary', contentType, securityContext: { reference: securityContext } });
  expect(created.data).toBeUndefined();
  return created.id;
}

async function rawBytes(response: Response): Promise<Buffer> {
  expect(response.status, await response.clone().text().then((text) => text.slice(0, 300))).toBe(200);
  return Buffer.from(await response.arrayBuffer());
}

/** A PNG signature followed by random bytes: not UTF-8, as images are not. */
function pngLike(size: number): Buffer {
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(size - 8)]);
}

describe('Binary', () => {
  it('round-trips 1 MB of random bytes byte for byte, raw in and raw out with their content type', async () => {
    const bytes = randomBytes(1024 * 1024);
    const id = await createRaw(bytes, 'application/octet-stream');
    const response = await stack.request(`/Binary/${id}`, { as: demoUsers.physician, headers: { Accept: 'application/octet-stream' } });
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    expect((await rawBytes(response)).equals(bytes)).toBe(true);
  });

  it('round-trips a PNG-like image that is not UTF-8, served raw to a client that accepts anything', async () => {
    const bytes = pngLike(70_000);
    const id = await createRaw(bytes, 'image/png');
    const response = await stack.request(`/Binary/${id}`, { as: demoUsers.physician, headers: { Accept: '*/*' } });
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect((await rawBytes(response)).equals(bytes)).toBe(true);
  });

  it('takes and gives the FHIR JSON form, data inline, while the stored version keeps only a pointer to S3', async () => {
    const bytes = pngLike(5000);
    const created = await expectJson(await stack.request('/Binary', { method: 'POST', body: { resourceType: 'Binary', contentType: 'image/png', securityContext: { reference: patient }, data: bytes.toString('base64') } }), 201);
    const read = await expectJson(await stack.request(`/Binary/${created.id}`, { headers: { Accept: 'application/fhir+json' } }), 200);
    expect(read).toMatchObject({ resourceType: 'Binary', contentType: 'image/png', data: bytes.toString('base64') });
    const history = await expectJson<{ entry: { resource: StoredResource }[] }>(await stack.request(`/Binary/${created.id}/_history`), 200);
    const stored = history.entry[0]?.resource;
    expect(stored?.data).toBeUndefined();
    const pointer = ((stored?.meta as { extension?: { url: string; extension: { url: string; [value: string]: unknown }[] }[] }).extension ?? []).find((extension) => extension.url === 'urn:dsc:binary:content');
    expect(pointer?.extension).toEqual([
      { url: 'key', valueString: expect.stringMatching(new RegExp(`^binary/${created.id}/`)) as unknown },
      { url: 'size', valueUnsignedInt: 5000 },
      { url: 'sha256', valueBase64Binary: (await import('node:crypto')).createHash('sha256').update(bytes).digest('base64') },
    ]);
  });

  it('uploads through a presigned URL, creates the Binary that points at the upload, and reads it back through a presigned download', async () => {
    const bytes = randomBytes(maxRequestBodyBytes + 512 * 1024);
    const asked = await expectJson<{ parameter: { name: string; valueUrl?: string; valueId?: string; resource?: Record<string, unknown> }[] }>(
      await stack.request('/Binary/$upload-url', {
        method: 'POST',
        body: { resourceType: 'Parameters', parameter: [{ name: 'contentType', valueCode: 'application/pdf' }, { name: 'size', valueInteger: bytes.length }] },
      }),
      200,
    );
    const parameter = (name: string) => asked.parameter.find((candidate) => candidate.name === name);
    const url = parameter('url')?.valueUrl ?? '';
    const id = parameter('id')?.valueId ?? '';
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/.*X-Amz-Signature=/);
    await expectStatus(await fetch(url, { method: 'PUT', body: bytes, headers: { 'Content-Type': 'application/pdf' } }), 200);

    const binary = { ...parameter('binary')?.resource, securityContext: { reference: patient } };
    const created = await expectJson(await stack.request(`/Binary/${id}`, { method: 'PUT', body: binary }), 201);
    expect(created.id).toBe(id);

    const redirect = await stack.request(`/Binary/${id}`, { as: demoUsers.physician, headers: { Accept: 'application/pdf' }, redirect: 'manual' });
    expect(redirect.status).toBe(303);
    const download = await fetch(redirect.headers.get('location') ?? '');
    expect((await rawBytes(download)).equals(bytes)).toBe(true);
  });

  it('refuses a Binary that names content uploaded for another Binary', async () => {
    const other = await createRaw(randomBytes(100), 'application/octet-stream');
    const history = await expectJson<{ entry: { resource: StoredResource }[] }>(await stack.request(`/Binary/${other}/_history`), 200);
    const stolen = { resourceType: 'Binary', id: 'thief-binary', contentType: 'application/octet-stream', meta: { extension: (history.entry[0]?.resource.meta as { extension?: unknown }).extension } };
    await expectOperationOutcome(await stack.request('/Binary/thief-binary', { method: 'PUT', body: stolen }), 400, 'invalid');
  });

  it('moves the content of a Binary inside a transaction to S3 as well, committed with the rest', async () => {
    const bytes = pngLike(2000);
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [{ fullUrl: 'urn:uuid:b1b1b1b1-0000-4000-8000-000000000001', resource: { resourceType: 'Binary', contentType: 'image/png', securityContext: { reference: patient }, data: bytes.toString('base64') }, request: { method: 'POST', url: 'Binary' } }],
    };
    const answer = await expectJson<{ entry: { response: { location: string } }[] }>(await stack.request('/', { method: 'POST', body: bundle }), 200);
    const reference = answer.entry[0]?.response.location.split('/_history')[0] ?? '';
    const history = await expectJson<{ entry: { resource: StoredResource }[] }>(await stack.request(`/${reference}/_history`), 200);
    expect(history.entry[0]?.resource.data).toBeUndefined();
    expect((await rawBytes(await stack.request(`/${reference}`, { headers: { Accept: 'image/png' } }))).equals(bytes)).toBe(true);
  });

  it('answers 413 beyond what the API carries, pointing to the presigned upload', async () => {
    const response = await stack.request('/Binary', { method: 'POST', body: randomBytes(maxRequestBodyBytes + 1), headers: { 'Content-Type': 'application/octet-stream' } });
    const outcome = await expectOperationOutcome(response, 413, 'too-long');
    expect(outcome.issue[0]?.diagnostics).toContain('Binary/$upload-url');
  });

  it('refuses a clerk (no clinical data) and journals the refusal; journals a permitted read under the patient', async () => {
    const id = await createRaw(randomBytes(64), 'application/octet-stream');
    await expectOperationOutcome(await stack.request(`/Binary/${id}`, { as: demoUsers.clerk, headers: { Accept: '*/*' } }), 403, 'forbidden');
    const refusals = await journalOf(stack.info, `Binary/${id}`);
    expect(refusals.some((event) => event.outcome === '4')).toBe(true);

    await rawBytes(await stack.request(`/Binary/${id}`, { as: demoUsers.physician, headers: { Accept: '*/*' } }));
    const reads = await journalOf(stack.info, patient);
    expect(reads.some((event) => event.outcome === '0' && event.entity?.some((entity) => entity.what?.reference === `Binary/${id}`))).toBe(true);
  });
});

describe('DocumentReference attachments', () => {
  it('moves inline data above the threshold to a Binary in its security context, and serves it from there', async () => {
    const bytes = pngLike(100_000);
    const document = {
      resourceType: 'DocumentReference',
      status: 'current',
      subject: { reference: patient },
      content: [{ attachment: { contentType: 'image/png', title: 'scan', data: bytes.toString('base64') } }],
    };
    const created = await expectJson(await stack.request('/DocumentReference', { method: 'POST', body: document }), 201);
    const attachment = (created.content as { attachment: Record<string, unknown> }[])[0]?.attachment;
    expect(attachment).toMatchObject({ contentType: 'image/png', title: 'scan', size: bytes.length, hash: (await import('node:crypto')).createHash('sha1').update(bytes).digest('base64') });
    expect(attachment?.data).toBeUndefined();
    const binaryReference = String(attachment?.url);
    expect(binaryReference).toMatch(/^Binary\//);

    const binary = await expectJson(await stack.request(`/${binaryReference}`, { headers: { Accept: 'application/fhir+json' } }), 200);
    expect(binary.securityContext).toEqual({ reference: `DocumentReference/${created.id}` });
    const raw = await stack.request(`/${binaryReference}`, { as: demoUsers.physician, headers: { Accept: 'image/png' } });
    expect((await rawBytes(raw)).equals(bytes)).toBe(true);
    const reads = await journalOf(stack.info, patient);
    expect(reads.some((event) => event.entity?.some((entity) => entity.what?.reference === binaryReference))).toBe(true);
  });

  it('changes nothing when the same document, inline data included, is sent again (a re-run load)', async () => {
    const bytes = pngLike(60_000);
    const document = { resourceType: 'DocumentReference', status: 'current', subject: { reference: patient }, content: [{ attachment: { contentType: 'image/png', data: bytes.toString('base64') } }] };
    const created = await expectJson(await stack.request('/DocumentReference', { method: 'POST', body: document }), 201);
    const again = await stack.request(`/DocumentReference/${created.id}`, { method: 'PUT', body: { ...document, id: created.id } });
    const unchanged = await expectJson(again, 200);
    expect(again.headers.get('etag')).toBe('W/"1"');
    expect(unchanged.content).toEqual(created.content);
    const binaryId = String((created.content as { attachment: { url: string } }[])[0]?.attachment.url).slice('Binary/'.length);
    const history = await expectJson(await stack.request(`/Binary/${binaryId}/_history`, { headers: { Accept: 'application/fhir+json' } }), 200);
    expect(history.total ?? (history.entry as unknown[]).length).toBe(1);
  });

  it('keeps small inline data where it is', async () => {
    const data = Buffer.from('a short note').toString('base64');
    const document = { resourceType: 'DocumentReference', status: 'current', subject: { reference: patient }, content: [{ attachment: { contentType: 'text/plain', data } }] };
    const created = await expectJson(await stack.request('/DocumentReference', { method: 'POST', body: document }), 201);
    expect((created.content as { attachment: Record<string, unknown> }[])[0]?.attachment).toEqual({ contentType: 'text/plain', data });
  });
});
