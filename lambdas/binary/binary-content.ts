import { createHash, randomUUID } from 'node:crypto';
import { attachmentsBucket } from '../contracts/buckets';
import { maxRequestBodyBytes } from '../contracts/request-limits';
import { toPlainJson } from '../fhir/json';

/**
 * How a Binary version points at its content in S3: DynamoDB keeps this pointer (object key, size,
 * SHA-256), never the bytes. Binary is a plain Resource, without `extension`: the pointer is a
 * complex extension of its `meta`, so every version names its own object, and history, search and
 * `$everything` show size and hash without the bytes.
 */
export const contentPointerUrl = 'urn:dsc:binary:content';

/** A Binary's content as stored: object key, size in bytes, SHA-256 (base64). */
export interface ContentPointer {
  readonly key: string;
  readonly size: number;
  readonly sha256: string;
}

/**
 * Content returned inline (raw bytes, or `data` in the FHIR JSON form) up to this size; beyond it a
 * read answers a short-lived download URL. Lambda returns at most 6 MB, and raw bytes go back
 * base64-encoded (4/3): 4 MiB becomes 5.6 MB, the request limit's own arithmetic.
 */
export const maxInlineContentBytes = maxRequestBodyBytes;

/**
 * Presigned uploads up to this size: the write function reads the object back once to hash it
 * (SHA-256 of what S3 holds, not what the client claims), within its timeout.
 */
export const maxUploadBytes = 100 * 1024 * 1024;

/** How long presigned URLs stay valid. */
export const uploadUrlSeconds = 15 * 60;
export const downloadUrlSeconds = 5 * 60;

/** A DocumentReference attachment with more inline `data` than this is moved to a Binary on write. */
export const maxInlineAttachmentBytes = 32 * 1024;

/** A fresh object key for content of Binary `id`: one object per stored content, never overwritten. */
export function newContentKey(id: string): string {
  return `${attachmentsBucket.objectPrefix}${id}/${randomUUID()}`;
}

/** Only keys minted for this Binary: a client cannot point one Binary at another's content. */
export function isContentKeyOf(key: string, id: string): boolean {
  return new RegExp(`^${attachmentsBucket.objectPrefix}${id.replace(/[.\-]/g, '\\$&')}/[0-9a-f-]{36}$`).test(key);
}

export function sha256Of(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('base64');
}

/** R4's Attachment.hash is a SHA-1 (base64). */
export function sha1Of(bytes: Buffer): string {
  return createHash('sha1').update(bytes).digest('base64');
}

type JsonObject = Record<string, unknown>;
export type Extension = { url?: unknown; extension?: Extension[]; valueString?: unknown; valueUnsignedInt?: unknown; valueBase64Binary?: unknown };

export function pointerExtension(pointer: ContentPointer): JsonObject {
  return {
    url: contentPointerUrl,
    extension: [
      { url: 'key', valueString: pointer.key },
      { url: 'size', valueUnsignedInt: pointer.size },
      { url: 'sha256', valueBase64Binary: pointer.sha256 },
    ],
  };
}

/** The pointer a Binary carries, as written (by the server, or by a client naming its upload); only `key` is required. */
export function pointerOf(resource: JsonObject): Partial<ContentPointer> | undefined {
  const extension = metaExtensionsOf(resource).find((candidate) => candidate.url === contentPointerUrl);
  if (!extension) return undefined;
  const part = (name: string) => extension.extension?.find((candidate) => candidate.url === name);
  const key = part('key')?.valueString;
  // Read back from the store, numbers are lossless (lambdas/fhir/json.ts).
  const size = toPlainJson(part('size')?.valueUnsignedInt);
  const sha256 = part('sha256')?.valueBase64Binary;
  return {
    ...(typeof key === 'string' ? { key } : {}),
    ...(typeof size === 'number' ? { size } : {}),
    ...(typeof sha256 === 'string' ? { sha256 } : {}),
  };
}

/** The resource with its pointer replaced (and any inline `data` gone). */
export function withPointer(resource: JsonObject, pointer: ContentPointer): JsonObject {
  const rest = { ...resource };
  delete rest.data;
  const others = metaExtensionsOf(resource).filter((candidate) => candidate.url !== contentPointerUrl);
  return withMetaExtensions(rest, [...others, pointerExtension(pointer)]);
}

export function metaExtensionsOf(resource: JsonObject): Extension[] {
  return ((resource.meta as { extension?: Extension[] } | undefined)?.extension ?? []);
}

export function withMetaExtensions(resource: JsonObject, extensions: readonly unknown[]): JsonObject {
  return { ...resource, meta: { ...(resource.meta as JsonObject | undefined), extension: extensions } };
}
