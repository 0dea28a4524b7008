import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { contentPointerUrl, isContentKeyOf, maxInlineAttachmentBytes, newContentKey, pointerOf } from '../../../lambdas/binary/binary-content';
import { ContentOffloader, type CreateResource } from '../../../lambdas/binary/content-offloader';
import type { ContentStore } from '../../../lambdas/binary/content-store';
import { Invalid } from '../../../lambdas/fhir/errors';
import { parseFhirJson, stringifyFhirJson } from '../../../lambdas/fhir/json';
import type { StoredResource, VersionRecord } from '../../../lambdas/store/record-store';

/** S3 as a map, which is all the offloader may rely on. */
class MemoryContentStore implements ContentStore {
  readonly objects = new Map<string, { bytes: Buffer; contentType: string }>();
  put(key: string, bytes: Buffer, contentType: string) {
    this.objects.set(key, { bytes, contentType });
    return Promise.resolve();
  }
  get(key: string) {
    return Promise.resolve(this.objects.get(key)?.bytes ?? Buffer.alloc(0));
  }
  measure(key: string) {
    const object = this.objects.get(key);
    return Promise.resolve(object && { size: object.bytes.length, sha256: createHash('sha256').update(object.bytes).digest('base64') });
  }
  uploadUrl(key: string) {
    return Promise.resolve(`https://s3.test/${key}?put`);
  }
  downloadUrl(key: string) {
    return Promise.resolve(`https://s3.test/${key}?get`);
  }
}

const meta = { versionId: '1', lastUpdated: '2026-11-26T12:00:00.000Z' };
const binary = (id: string, fields: Record<string, unknown>): StoredResource => ({ resourceType: 'Binary', id, meta, contentType: 'image/png', ...fields });

function setUp(current: Record<string, VersionRecord> = {}) {
  const content = new MemoryContentStore();
  const offloader = new ContentOffloader(content, { readCurrent: (type, id) => Promise.resolve(current[`${type}/${id}`]) });
  return { content, offloader };
}

const noCreate: CreateResource = () => Promise.reject(new Error('no resource should be created'));

describe('a Binary with inline data', () => {
  it('puts the bytes in S3 under a key of its own and keeps only the pointer, with size and SHA-256', async () => {
    const { content, offloader } = setUp();
    const bytes = randomBytes(3000);
    const { resource, compartments } = await offloader.offload(binary('b1', { securityContext: { reference: 'Patient/p1' }, data: bytes.toString('base64') }), noCreate);
    expect(resource.data).toBeUndefined();
    const pointer = pointerOf(resource);
    expect(pointer).toEqual({ key: expect.stringMatching(/^binary\/b1\//) as unknown, size: 3000, sha256: createHash('sha256').update(bytes).digest('base64') });
    expect(content.objects.get(pointer?.key ?? '')).toEqual({ bytes, contentType: 'image/png' });
    expect(compartments).toEqual(['Patient/p1']);
  });

  it('inherits the compartments of the resource its securityContext names', async () => {
    const document = { compartments: ['Patient/p2'], deleted: false } as unknown as VersionRecord;
    const { offloader } = setUp({ 'DocumentReference/d1': document });
    const { compartments } = await offloader.offload(binary('b2', { securityContext: { reference: 'DocumentReference/d1' }, data: 'AAAA' }), noCreate);
    expect(compartments).toEqual(['Patient/p2']);
  });
});

describe('a Binary sent again', () => {
  it('compares as its stored pointer when its bytes are the stored bytes, and as new content otherwise', async () => {
    const { content, offloader } = setUp();
    const bytes = randomBytes(2048);
    const sent = binary('b3', { securityContext: { reference: 'Patient/p1' }, data: bytes.toString('base64') });
    const { resource: stored } = await offloader.offload(sent, noCreate);
    const again = offloader.alreadyStored(stored, { ...sent, meta: undefined });
    expect(again.data).toBeUndefined();
    expect(pointerOf(again)).toEqual(pointerOf(stored));
    expect(content.objects.size).toBe(1);
    const changed = { ...sent, data: randomBytes(2048).toString('base64') };
    expect(offloader.alreadyStored(stored, changed)).toBe(changed);
  });
});

describe('a Binary naming an upload', () => {
  it('measures what S3 holds rather than trusting the size and hash the client sent', async () => {
    const { content, offloader } = setUp();
    const key = newContentKey('b3');
    const bytes = randomBytes(500);
    await content.put(key, bytes, 'image/png');
    const claimed = { extension: [{ url: contentPointerUrl, extension: [{ url: 'key', valueString: key }, { url: 'size', valueUnsignedInt: 1 }, { url: 'sha256', valueBase64Binary: 'AAAA' }] }] };
    const { resource } = await offloader.offload(binary('b3', { meta: { ...meta, ...claimed } }), noCreate);
    expect(pointerOf(resource)).toEqual({ key, size: 500, sha256: createHash('sha256').update(bytes).digest('base64') });
  });

  it('refuses a key minted for another Binary, and an upload that never happened', async () => {
    const { content, offloader } = setUp();
    const theirs = newContentKey('someone-else');
    await content.put(theirs, randomBytes(10), 'image/png');
    const naming = (key: string) => ({ meta: { ...meta, extension: [{ url: contentPointerUrl, extension: [{ url: 'key', valueString: key }] }] } });
    await expect(offloader.offload(binary('b4', naming(theirs)), noCreate)).rejects.toBeInstanceOf(Invalid);
    await expect(offloader.offload(binary('b4', naming(newContentKey('b4'))), noCreate)).rejects.toThrow(/Nothing was uploaded/);
  });
});

describe('a DocumentReference', () => {
  const document = (data: string): StoredResource => ({
    resourceType: 'DocumentReference',
    id: 'd9',
    meta,
    status: 'current',
    subject: { reference: 'Patient/p9' },
    content: [{ attachment: { contentType: 'application/pdf', title: 'note', data } }],
  });

  it(`moves an attachment of more than ${maxInlineAttachmentBytes} bytes to a Binary in its security context, in the patient's compartment`, async () => {
    const { offloader } = setUp();
    const bytes = randomBytes(maxInlineAttachmentBytes + 1);
    const created: { body: Record<string, unknown>; compartments: readonly string[] }[] = [];
    // As the writer does: the new Binary goes through the offloader too, before its own commit.
    const create: CreateResource = async (resourceType, body) => {
      const offloaded = await offloader.offload({ ...body, id: 'new-binary', meta } as StoredResource, noCreate);
      created.push({ body, compartments: offloaded.compartments });
      return { resourceType, id: 'new-binary' } as VersionRecord;
    };
    const { resource } = await offloader.offload(document(bytes.toString('base64')), create);
    expect((resource.content as { attachment: unknown }[])[0]?.attachment).toEqual({
      contentType: 'application/pdf',
      title: 'note',
      url: 'Binary/new-binary',
      size: bytes.length,
      hash: createHash('sha1').update(bytes).digest('base64'),
    });
    expect(created).toEqual([{ body: expect.objectContaining({ resourceType: 'Binary', securityContext: { reference: 'DocumentReference/d9' } }) as unknown, compartments: ['Patient/p9'] }]);
  });

  it('recognises an attachment it already moved, byte for byte, so sending the same document again changes nothing', async () => {
    const { offloader } = setUp();
    const bytes = randomBytes(maxInlineAttachmentBytes + 1);
    const sent = document(bytes.toString('base64'));
    const create: CreateResource = (resourceType) => Promise.resolve({ resourceType, id: 'kept-binary' } as VersionRecord);
    const { resource: stored } = await offloader.offload(sent, create);
    expect(offloader.alreadyStored(stored, sent)).toEqual({ ...sent, content: stored.content });
    // Other bytes of the same size are new content: the attachment stays inline, to be moved to a Binary of its own.
    const other = document(randomBytes(bytes.length).toString('base64'));
    expect(offloader.alreadyStored(stored, other)).toEqual(other);
  });

  it('leaves an attachment at or under the threshold inline', async () => {
    const { offloader } = setUp();
    const small = document(randomBytes(maxInlineAttachmentBytes).toString('base64'));
    expect((await offloader.offload(small, noCreate)).resource).toBe(small);
  });
});

describe('the pointer', () => {
  it('reads back from the store, whose numbers are lossless', () => {
    const key = newContentKey('b5');
    const stored = parseFhirJson(stringifyFhirJson({ meta: { extension: [{ url: contentPointerUrl, extension: [{ url: 'key', valueString: key }, { url: 'size', valueUnsignedInt: 42 }] }] } })) as Record<string, unknown>;
    expect(pointerOf(stored)).toEqual({ key, size: 42 });
  });

  it('accepts only keys minted for that Binary id', () => {
    expect(isContentKeyOf(newContentKey('a.b-1'), 'a.b-1')).toBe(true);
    expect(isContentKeyOf(newContentKey('axb-1'), 'a.b-1')).toBe(false);
    expect(isContentKeyOf(`binary/a.b-1/../x/${'0'.repeat(36)}`, 'a.b-1')).toBe(false);
  });
});
