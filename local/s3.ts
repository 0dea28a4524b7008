import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
// s3rver ships no types: the little used here is declared below.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require('s3rver') as new (options: S3rverOptions) => { run(): Promise<unknown>; close(): Promise<void> };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { DUMMY_ACCOUNT } = require('s3rver/lib/models/account') as { DUMMY_ACCOUNT: { createKeyPair(accessKeyId: string, secretAccessKey: string): void } };

interface S3rverOptions {
  readonly address: string;
  readonly port: number;
  readonly directory: string;
  readonly silent: boolean;
  readonly resetOnClose: boolean;
  readonly vhostBuckets: boolean;
  readonly configureBuckets: readonly { readonly name: string; readonly configs: readonly string[] }[];
}

export interface LocalS3 {
  readonly endpoint: string;
  readonly bucket: string;
  stop(): Promise<void>;
}

/** The local attachments bucket's name (deployed, CDK generates it). */
export const localAttachmentsBucket = 'dsc-local-attachments';

/**
 * s3rver, the S3 emulator, on the loopback interface: the attachments bucket, persisted under
 * `dataDir` (or in a temporary folder, removed on stop). It checks signatures, presigned URLs and
 * their expiry included, against the local runtime's credentials, which it is taught here; it checks
 * no IAM and no encryption (docs/binary.md).
 */
export async function startLocalS3(options: { port: number; dataDir?: string; credentials: { accessKeyId: string; secretAccessKey: string } }): Promise<LocalS3> {
  DUMMY_ACCOUNT.createKeyPair(options.credentials.accessKeyId, options.credentials.secretAccessKey);
  const directory = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'dsc-s3-'));
  mkdirSync(directory, { recursive: true });
  const server = new S3rver({
    address: '127.0.0.1',
    port: options.port,
    directory,
    silent: true,
    resetOnClose: false,
    vhostBuckets: false,
    configureBuckets: [{ name: localAttachmentsBucket, configs: [] }],
  });
  await server.run();
  return {
    endpoint: `http://127.0.0.1:${options.port}`,
    bucket: localAttachmentsBucket,
    stop: async () => {
      await server.close();
      if (!options.dataDir) rmSync(directory, { recursive: true, force: true });
    },
  };
}
