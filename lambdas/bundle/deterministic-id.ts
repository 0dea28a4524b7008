import { createHash } from 'node:crypto';

/**
 * Ids the loader derives from the source instead of drawing at random, so that loading the same
 * data again names the same resources: UUIDs version 5 (RFC 9562 §5.5, a SHA-1 name hash).
 *
 * An entry's name is its source identity: its fullUrl, else its `Type/id` in the source, else
 * its conditional criteria. The namespace is DSC's loader namespace, or one derived from it for
 * a named source system, so that two legacy applications that both have a `Patient/1` keep two
 * resources. Changing `loaderNamespace` would rename every loaded resource: it never changes.
 */
export const loaderNamespace = '5d0f3c1e-8a47-4b5e-9c2d-6f1e0a7b3c94';

/** The namespace of one source system's loads (the loader's own when none is named). */
export function sourceNamespace(source?: string): string {
  return source === undefined ? loaderNamespace : uuidV5(source, loaderNamespace);
}

export function uuidV5(name: string, namespace: string): string {
  const hash = createHash('sha1').update(Buffer.from(namespace.replace(/-/g, ''), 'hex')).update(name, 'utf8').digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
