import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { archiveContentType, type ArchiveObject, type ArchiveStore } from './journal-archive';

/**
 * Archive objects in the Object-Locked bucket. S3 refuses a PUT into a bucket with Object Lock
 * without an integrity checksum (Content-MD5 or an SDK checksum): this sends the SHA-256 of the
 * body, which S3 verifies and keeps with the object version. Retention comes from the bucket's
 * default (COMPLIANCE), so the function needs s3:PutObject and nothing else.
 */
export class S3ArchiveStore implements ArchiveStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async put(object: ArchiveObject): Promise<void> {
    const body = Buffer.from(object.body, 'utf8');
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: object.key,
        Body: body,
        ContentType: archiveContentType,
        ChecksumAlgorithm: 'SHA256',
        ChecksumSHA256: createHash('sha256').update(body).digest('base64'),
      }),
    );
  }
}
