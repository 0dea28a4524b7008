import { createHash } from 'node:crypto';
import type { Principal } from '../access/principal';
import { idempotencyKeyHeader } from '../contracts/idempotency-key';
import { Invalid } from '../fhir/errors';
import { stringifyFhirJson } from '../fhir/json';

/**
 * What a keyed create claims in the same transaction as its version: a retried POST carrying the
 * key of one that committed gets that first answer back instead of a second resource.
 */
export interface IdempotencyClaim {
  /** Hash of the caller (app client and subject) and the key, so a key never reaches another caller's answer. */
  readonly key: string;
  /** Hash of the request the key was first used with: resource type, If-None-Exist and body. */
  readonly fingerprint: string;
}

export interface IdempotencyRecord {
  readonly fingerprint: string;
  /** `Type/id` of the resource the keyed create made, and the version it answered with. */
  readonly holder: string;
  readonly versionId: number;
}

const maxKeyLength = 255;
// Visible ASCII without the quote and backslash: a Structured Field string (RFC 8941) needing no escapes.
const keyCharacters = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/**
 * The key the client sent, or undefined without the header. The draft sends it as a Structured
 * Field string (`"8e03…"`); a bare token is accepted too, as many clients send one.
 */
export function idempotencyKeyOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const trimmed = header.trim();
  const key = trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"') ? trimmed.slice(1, -1) : trimmed;
  if (key.length === 0 || key.length > maxKeyLength || !keyCharacters.test(key)) {
    throw new Invalid(`${idempotencyKeyHeader} must be 1 to ${maxKeyLength} visible ASCII characters, without quotes or backslashes (a UUID is best)`);
  }
  return key;
}

export function idempotencyClaimOf(principal: Principal, key: string, resourceType: string, body: unknown, ifNoneExist: string | undefined): IdempotencyClaim {
  return {
    key: sha256([principal.clientId, principal.sub, key]),
    fingerprint: sha256([resourceType, ifNoneExist ?? '', stringifyFhirJson(body)]),
  };
}

/** Parts are JSON-encoded together, so no choice of separators inside them can make two requests collide. */
function sha256(parts: readonly string[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url');
}
