import { randomUUID } from 'node:crypto';
import { Invalid, PayloadTooLarge } from '../fhir/errors';
import { toPlainJson } from '../fhir/json';
import { isResourceType } from '../fhir/registry/registry';
import type { AccessRecorder } from '../record/access-recorder';
import type { ReadService } from '../record/read-service';
import type { RequestContext } from '../record/request-context';
import type { StoredResource, VersionRecord } from '../store/record-store';
import { contentPointerUrl, downloadUrlSeconds, maxInlineContentBytes, maxUploadBytes, metaExtensionsOf, newContentKey, pointerOf, uploadUrlSeconds, withMetaExtensions } from './binary-content';
import type { ContentStore } from './content-store';

/** Where a Binary too large to return inline can be fetched, in its FHIR JSON form (a `meta` extension, valueUrl, valid `downloadUrlSeconds`). */
export const downloadUrlExtension = 'urn:dsc:binary:download-url';

/** What a Binary read answers: its FHIR JSON form, its raw content, or where to fetch content too large for Lambda to return. */
export type BinaryAnswer =
  | { readonly kind: 'resource'; readonly version: VersionRecord; readonly resource: StoredResource }
  | { readonly kind: 'content'; readonly version: VersionRecord; readonly bytes: Buffer; readonly contentType: string }
  | { readonly kind: 'redirect'; readonly version: VersionRecord; readonly url: string };

/**
 * Binary reads: the version through the record's read service (access control, restrictions and the
 * journal under the patients of its securityContext), then its content from S3: inline up to
 * `maxInlineContentBytes`, beyond that a short-lived presigned download URL.
 */
export class BinaryReads {
  constructor(
    private readonly reader: ReadService,
    private readonly access: AccessRecorder,
    private readonly content: ContentStore,
  ) {}

  async read(ctx: RequestContext, id: string, form: 'raw' | 'fhir', versionId?: number): Promise<BinaryAnswer> {
    const version = versionId === undefined ? await this.reader.read(ctx, 'Binary', id) : await this.reader.vread(ctx, 'Binary', id, versionId);
    const resource = version.resource as StoredResource;
    await this.authorizeContext(ctx, version, resource);
    const contentType = typeof resource.contentType === 'string' ? resource.contentType : 'application/octet-stream';
    const pointer = pointerOf(resource);
    if (pointer?.key === undefined) return form === 'fhir' ? { kind: 'resource', version, resource } : { kind: 'content', version, bytes: Buffer.alloc(0), contentType };
    if ((pointer.size ?? Infinity) > maxInlineContentBytes) {
      const url = await this.content.downloadUrl(pointer.key, contentType, downloadUrlSeconds);
      if (form === 'raw') return { kind: 'redirect', version, url };
      const extensions = [...metaExtensionsOf(resource), { url: downloadUrlExtension, valueUrl: url }];
      return { kind: 'resource', version, resource: withMetaExtensions(resource, extensions) as StoredResource };
    }
    const bytes = await this.content.get(pointer.key);
    if (form === 'raw') return { kind: 'content', version, bytes, contentType };
    return { kind: 'resource', version, resource: { ...resource, data: bytes.toString('base64') } };
  }

  /**
   * A Binary that belongs to another resource (securityContext, e.g. a DocumentReference's
   * attachment) is read only by those who may read that resource's type as well.
   */
  private async authorizeContext(ctx: RequestContext, version: VersionRecord, resource: StoredResource): Promise<void> {
    const reference = (resource.securityContext as { reference?: unknown } | undefined)?.reference;
    const type = typeof reference === 'string' ? reference.split('/')[0] : undefined;
    if (type === undefined || type === 'Patient' || !isResourceType(type)) return;
    await this.access.authorize(ctx, 'read', type, 'read', version.compartments[0] ?? `Binary/${version.id}`);
  }
}

type JsonObject = Record<string, unknown>;

/**
 * `POST Binary/$upload-url`: a presigned PUT for content too large for the API, and the Binary to
 * create once it is uploaded. The URL is signed by the write function's role, for one object key
 * minted for a new Binary id, with its content type and size: S3 refuses any other PUT.
 */
export class BinaryUploads {
  constructor(
    private readonly access: AccessRecorder,
    private readonly content: ContentStore,
    private readonly newId: () => string = randomUUID,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async uploadUrl(ctx: RequestContext, readParameters: () => unknown): Promise<JsonObject> {
    await this.access.authorize(ctx, 'write', 'Binary', 'type-operation', 'Binary');
    const { contentType, size } = uploadRequestOf(toPlainJson(readParameters()));
    const id = this.newId();
    const key = newContentKey(id);
    const url = await this.content.uploadUrl(key, contentType, size, uploadUrlSeconds);
    const expires = new Date(this.now().getTime() + uploadUrlSeconds * 1000).toISOString();
    // The pointer names the key only: size and hash are measured from what S3 holds when the Binary is created.
    const binary = { resourceType: 'Binary', id, contentType, meta: { extension: [{ url: contentPointerUrl, extension: [{ url: 'key', valueString: key }] }] } };
    return {
      resourceType: 'Parameters',
      parameter: [
        { name: 'id', valueId: id },
        { name: 'url', valueUrl: url },
        { name: 'expires', valueInstant: expires },
        { name: 'binary', resource: binary },
      ],
    };
  }
}

function uploadRequestOf(body: unknown): { contentType: string; size: number } {
  const parameters = (body as { resourceType?: unknown; parameter?: unknown } | undefined) ?? {};
  if (parameters.resourceType !== 'Parameters' || !Array.isArray(parameters.parameter)) throw new Invalid('Send a Parameters resource with contentType (valueCode) and size (valueInteger)');
  const named = (name: string) => (parameters.parameter as JsonObject[]).find((parameter) => parameter.name === name);
  const contentType = named('contentType')?.valueCode ?? named('contentType')?.valueString;
  const size = named('size')?.valueInteger ?? named('size')?.valueDecimal;
  if (typeof contentType !== 'string' || !/^[\w.+-]+\/[\w.+-]+$/.test(contentType)) throw new Invalid('contentType must be a media type such as application/pdf');
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 1) throw new Invalid('size must be the content length in bytes, a whole number above 0');
  if (size > maxUploadBytes) throw new PayloadTooLarge(`Uploads are limited to ${maxUploadBytes / 1024 / 1024} MiB`);
  return { contentType, size };
}
