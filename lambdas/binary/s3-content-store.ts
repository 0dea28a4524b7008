import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { attachmentsBucket } from '../contracts/buckets';
import { requiredEnv } from '../platform/environment';
import type { ContentStore, StoredContent } from './content-store';

/**
 * Binary content in the attachments bucket. The endpoint comes from the SDK's own
 * AWS_ENDPOINT_URL_S3, which only the local runtime sets (s3rver, addressed by path); encryption is
 * the bucket's default (SSE-KMS with the data key), so no request names a key.
 */
export class S3ContentStore implements ContentStore {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  async put(key: string, bytes: Buffer, contentType: string): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: bytes, ContentType: contentType, ContentLength: bytes.length }));
  }

  async get(key: string): Promise<Buffer> {
    const object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    return Buffer.from(await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
  }

  async measure(key: string): Promise<StoredContent | undefined> {
    let object;
    try {
      object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      if (error instanceof NoSuchKey) return undefined;
      throw error;
    }
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of object.Body as Readable) {
      const bytes = chunk as Buffer;
      size += bytes.length;
      hash.update(bytes);
    }
    return { size, sha256: hash.digest('base64') };
  }

  uploadUrl(key: string, contentType: string, size: number, expiresInSeconds: number): Promise<string> {
    // Content-Type and Content-Length are signed: S3 refuses a PUT of other bytes than those declared.
    const command = new PutObjectCommand({ Bucket: this.bucket, Key: key, ContentType: contentType, ContentLength: size });
    return getSignedUrl(this.client, command, { expiresIn: expiresInSeconds, signableHeaders: new Set(['content-type', 'content-length']) });
  }

  downloadUrl(key: string, contentType: string, expiresInSeconds: number): Promise<string> {
    const command = new GetObjectCommand({ Bucket: this.bucket, Key: key, ResponseContentType: contentType, ResponseContentDisposition: 'attachment' });
    return getSignedUrl(this.client, command, { expiresIn: expiresInSeconds });
  }
}

let store: S3ContentStore | undefined;

/** One store per execution environment, on the bucket the function's environment names. */
export function contentStoreFromEnv(): S3ContentStore {
  store ??= new S3ContentStore(
    new S3Client({
      maxAttempts: 3,
      // Locally, s3rver on 127.0.0.1 serves buckets by path only.
      forcePathStyle: process.env.AWS_ENDPOINT_URL_S3 !== undefined,
      // A checksum only where S3 requires one: presigned URLs then carry none the client would have to match.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    }),
    requiredEnv(attachmentsBucket.nameEnvVar),
  );
  return store;
}
