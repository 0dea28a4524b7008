import { Invalid } from '../fhir/errors';
import { toPlainJson } from '../fhir/json';
import type { ResourceType } from '../fhir/registry/registry';
import { compartmentsOf } from '../record/index-facts';
import { extractSearchValues } from '../search/extract-search-values';
import type { RecordStore, StoredResource, VersionRecord } from '../store/record-store';
import { isContentKeyOf, maxInlineAttachmentBytes, newContentKey, pointerOf, sha1Of, sha256Of, withPointer, type ContentPointer } from './binary-content';
import type { ContentStore } from './content-store';

type JsonObject = Record<string, unknown>;

/** Creates a resource through the same writer (and so the same transaction, in a Bundle). */
export type CreateResource = (resourceType: ResourceType, body: JsonObject) => Promise<VersionRecord>;

export interface Offloaded {
  readonly resource: StoredResource;
  /** Patients the version concerns beyond its own compartment: a Binary's, through its securityContext. */
  readonly compartments: readonly string[];
}

/**
 * Called by the writer on every version before it commits: a Binary's content goes to S3 and the
 * version keeps a pointer; a DocumentReference's large inline attachment becomes a Binary of its own.
 * The objects are written first: if the commit then fails, an object no version points to is left,
 * which nothing serves (its key is random) and which holds nothing the caller did not send.
 */
export class ContentOffloader {
  /** Compartments of resources being written now, which their Binaries inherit before they are stored. */
  private readonly pending = new Map<string, readonly string[]>();

  constructor(
    private readonly content: ContentStore,
    private readonly store: Pick<RecordStore, 'readCurrent'>,
  ) {}

  async offload(resource: StoredResource, create: CreateResource): Promise<Offloaded> {
    if (resource.resourceType === 'Binary') return this.binary(resource);
    if (resource.resourceType === 'DocumentReference') return { resource: await this.documentReference(resource, create), compartments: [] };
    return { resource, compartments: [] };
  }

  /**
   * The body with the inline content that the current version already stores, byte for byte (by
   * hash), replaced by what that version keeps instead: a Binary's pointer, an attachment's Binary.
   * Sending the same content again, as a re-run load does, is then an update that changes nothing,
   * and a changed DocumentReference keeps its unchanged attachments' Binaries instead of copying them.
   */
  alreadyStored(current: StoredResource, body: JsonObject): JsonObject {
    if (body.resourceType === 'Binary') return sameBinaryContent(current, body);
    if (body.resourceType === 'DocumentReference' && Array.isArray(body.content)) {
      const stored = Array.isArray(current.content) ? (current.content as JsonObject[]) : [];
      return { ...body, content: (body.content as JsonObject[]).map((item, index) => ({ ...item, attachment: sameAttachment(stored[index]?.attachment, item.attachment) })) };
    }
    return body;
  }

  private async binary(resource: StoredResource): Promise<Offloaded> {
    const compartments = await this.compartmentsOfContext(resource.securityContext);
    const contentType = typeof resource.contentType === 'string' ? resource.contentType : 'application/octet-stream';
    if (typeof resource.data === 'string') {
      const bytes = Buffer.from(resource.data, 'base64');
      const pointer: ContentPointer = { key: newContentKey(resource.id), size: bytes.length, sha256: sha256Of(bytes) };
      await this.content.put(pointer.key, bytes, contentType);
      return { resource: withPointer(resource, pointer) as StoredResource, compartments };
    }
    const named = pointerOf(resource);
    if (named === undefined) return { resource, compartments };
    // Content the client uploaded through a presigned URL: only an upload minted for this Binary, measured here.
    if (named.key === undefined || !isContentKeyOf(named.key, resource.id)) {
      throw new Invalid(`Binary/${resource.id} may only name content uploaded for it: ask POST Binary/$upload-url for an upload URL`);
    }
    const measured = await this.content.measure(named.key);
    if (!measured) throw new Invalid(`Nothing was uploaded for Binary/${resource.id} yet: PUT the bytes to the upload URL first`);
    return { resource: withPointer(resource, { key: named.key, ...measured }) as StoredResource, compartments };
  }

  /** Attachments with more inline data than `maxInlineAttachmentBytes` become Binaries in this DocumentReference's security context. */
  private async documentReference(resource: StoredResource, create: CreateResource): Promise<StoredResource> {
    const contents = Array.isArray(resource.content) ? (resource.content as JsonObject[]) : [];
    const large = contents.filter((item) => isLargeAttachment(item.attachment));
    if (large.length === 0) return resource;
    const reference = `DocumentReference/${resource.id}`;
    // The new version is not stored yet: its Binaries take its compartments from its content.
    this.pending.set(reference, compartmentsOf('DocumentReference', resource.id, extractSearchValues(toPlainJson(resource) as JsonObject)));
    try {
      const moved: JsonObject[] = [];
      for (const item of contents) moved.push(isLargeAttachment(item.attachment) ? { ...item, attachment: await this.moveAttachment(item.attachment, reference, create) } : item);
      return { ...resource, content: moved };
    } finally {
      this.pending.delete(reference);
    }
  }

  private async moveAttachment(attachment: JsonObject & { data: string }, securityContext: string, create: CreateResource): Promise<JsonObject> {
    const contentType = contentTypeOf(attachment);
    const binary = await create('Binary', { resourceType: 'Binary', contentType, securityContext: { reference: securityContext }, data: attachment.data });
    return movedAttachment(attachment, `Binary/${binary.id}`);
  }

  /**
   * The patients a Binary's securityContext names: the patient itself, or the compartments of the
   * resource it belongs to, so its readers meet that patient's restrictions and are journaled under them.
   */
  private async compartmentsOfContext(securityContext: unknown): Promise<readonly string[]> {
    const reference = (securityContext as { reference?: unknown } | undefined)?.reference;
    if (typeof reference !== 'string') return [];
    if (/^Patient\/[A-Za-z0-9\-.]{1,64}$/.test(reference)) return [reference];
    const pending = this.pending.get(reference);
    if (pending) return pending;
    const match = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/.exec(reference);
    if (!match?.[1] || !match[2]) return [];
    const current = await this.store.readCurrent(match[1], match[2]);
    return current && !current.deleted ? current.compartments : [];
  }
}

/** A moved attachment: its data replaced by the Binary's url. R4: Attachment.size is the size before base64, Attachment.hash its SHA-1. */
function movedAttachment(attachment: JsonObject & { data: string }, url: string): JsonObject {
  const { data, ...rest } = attachment;
  const bytes = Buffer.from(data, 'base64');
  return { ...rest, contentType: contentTypeOf(attachment), url, size: bytes.length, hash: sha1Of(bytes) };
}

/** The attachment as already moved, if the stored one at its place holds the same bytes in a Binary. */
function sameAttachment(stored: unknown, attachment: unknown): unknown {
  const url = (stored as { url?: unknown } | undefined)?.url;
  if (!isLargeAttachment(attachment) || typeof url !== 'string' || !url.startsWith('Binary/')) return attachment;
  const moved = movedAttachment(attachment, url);
  const kept = stored as JsonObject;
  return toPlainJson(kept.size) === moved.size && kept.hash === moved.hash ? moved : attachment;
}

/** The Binary with its inline data replaced by the stored pointer, if the stored content is the same bytes. */
function sameBinaryContent(current: StoredResource, body: JsonObject): JsonObject {
  const pointer = pointerOf(current);
  if (typeof body.data !== 'string' || pointer?.key === undefined || pointer.size === undefined || pointer.sha256 === undefined) return body;
  const bytes = Buffer.from(body.data, 'base64');
  return bytes.length === pointer.size && sha256Of(bytes) === pointer.sha256 ? withPointer(body, { key: pointer.key, size: pointer.size, sha256: pointer.sha256 }) : body;
}

function contentTypeOf(attachment: JsonObject): string {
  return typeof attachment.contentType === 'string' ? attachment.contentType : 'application/octet-stream';
}

function isLargeAttachment(attachment: unknown): attachment is JsonObject & { data: string } {
  const data = (attachment as { data?: unknown } | undefined)?.data;
  // The decoded size, padding accounted for, without decoding.
  return typeof data === 'string' && Buffer.byteLength(data, 'base64') > maxInlineAttachmentBytes;
}
