/**
 * The S3 buckets the functions use, declared once: the data stack creates them, the API stack
 * derives each function's IAM from `bucketAccess` (functions.ts), and the local runtime creates
 * the same bucket in s3rver. Attachment content never lives in DynamoDB beyond a pointer.
 */
export type BucketAccess = 'read' | 'write';

export interface BucketDefinition {
  /** Construct id in the data stack. Changing it replaces the bucket: a test pins it. */
  readonly id: string;
  /** Environment variable through which a function learns the bucket's generated name. */
  readonly nameEnvVar: string;
  /** The functions may touch objects under this prefix only. */
  readonly objectPrefix: string;
}

/** Binary content (and DocumentReference attachments moved to a Binary): one object per stored content, `binary/<Binary id>/<uuid>`. */
export const attachmentsBucket = {
  id: 'AttachmentsBucket',
  nameEnvVar: 'ATTACHMENTS_BUCKET_NAME',
  objectPrefix: 'binary/',
} as const satisfies BucketDefinition;

export const buckets = { attachments: attachmentsBucket } as const;
export type BucketName = keyof typeof buckets;
export const bucketNames = Object.keys(buckets) as BucketName[];

/**
 * S3 actions per access kind, on the bucket's object prefix. A presigned URL acts with the
 * presigning function's role: the read function's download URLs can only GET, the write
 * function's upload URLs only PUT. No DeleteObject anywhere: a version of the record never loses
 * its content (an erasure is a separate, audited operation). HeadObject is authorised by GetObject.
 */
export const bucketActions: Record<BucketAccess, readonly string[]> = {
  read: ['s3:GetObject'],
  write: ['s3:GetObject', 's3:PutObject'],
};
