/** Where Binary content lives (S3 deployed, s3rver locally): the domain knows this port, not the SDK. */
export interface StoredContent {
  readonly size: number;
  /** SHA-256 of the bytes, base64. */
  readonly sha256: string;
}

export interface ContentStore {
  put(key: string, bytes: Buffer, contentType: string): Promise<void>;
  get(key: string): Promise<Buffer>;
  /** Size and SHA-256 of an object, read back in full (an upload the client made itself); undefined if there is none. */
  measure(key: string): Promise<StoredContent | undefined>;
  /** A URL that accepts one PUT of exactly `size` bytes of `contentType` at `key`, until it expires. */
  uploadUrl(key: string, contentType: string, size: number, expiresInSeconds: number): Promise<string>;
  /** A URL that answers a GET of the object, served with `contentType`, until it expires. */
  downloadUrl(key: string, contentType: string, expiresInSeconds: number): Promise<string>;
}
