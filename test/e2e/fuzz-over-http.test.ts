import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { localCredentials } from '../../local/dynamodb';
import { bootLocalStack, demoUsers } from '../support/e2e-stack';
import { expectNoServerError, expectRefusal, fuzzRuns, injectionValue, trickyString, type Answer } from '../support/fuzz';
import { rawRequest } from '../support/raw-http';
import { decodePayload, signWithCognitoLocalKey } from '../support/tokens';

/**
 * Fuzzing what only HTTP can carry, through `npm start`'s gateway: malformed and forged tokens,
 * raw bytes and traversal in paths, invalid UTF-8 bodies and broken header framing, sent over a
 * bare socket so nothing is cleaned up on the way. Properties: no 5xx, every refusal a FHIR JSON
 * OperationOutcome with the security headers and no internals, and no version written. The
 * in-process suite (test/fuzz) covers bodies, ids and search parameters at volume.
 */
const stack = bootLocalStack();
let port: number;
let token: string;

/** The record's versions (sk `v#…`); index items are left out, since the indexer may still be indexing the demo data. */
async function versionItems(): Promise<string[]> {
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.info.dynamoDb.endpoint, region: 'ca-central-1', credentials: localCredentials }));
  const items: string[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    // A test-only Scan, outside any request path.
    const page = await client.send(new ScanCommand({ TableName: stack.info.dynamoDb.tables.record, ExclusiveStartKey: start, ConsistentRead: true }));
    items.push(...(page.Items ?? []).filter((item) => String(item.sk).startsWith('v#')).map((item) => `${String(item.pk)} ${String(item.sk)}`));
    start = page.LastEvaluatedKey;
  } while (start);
  return items.sort();
}

beforeAll(async () => {
  port = Number(new URL(stack.info.apiUrl).port);
  token = await stack.token(demoUsers.integration);
});

const send = (head: string | Buffer, body?: Buffer) => rawRequest(port, typeof head === 'string' ? Buffer.from(head, 'latin1') : head, body);
const bytesOf = (text: string) => Buffer.from(text, 'utf8');

/** Refusals answered to HEAD carry no body; everything else is checked in full. */
function expectHygienic(method: string, answer: Answer): void {
  if (method === 'HEAD') return void expect(answer.status).toBeLessThan(500);
  expectNoServerError(answer);
}

describe('over HTTP', () => {
  it('refuses malformed, forged and unfit tokens with 401 or 403 and an OperationOutcome', async () => {
    const claims = decodePayload(token);
    const base64url = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const forged = fc.oneof(
      trickyString(60).map((text) => `Bearer ${text}`),
      fc.constantFrom('', 'Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', `Bearer ${header}.${payload}`, `Bearer ${header}.${payload}.`, `Bearer ${token}x`, `Bearer ${token.slice(0, -2)}`, `bearer  ${header}..${signature}`),
      fc.tuple(fc.base64String({ maxLength: 60 }), fc.base64String({ maxLength: 200 }), fc.base64String({ maxLength: 60 })).map((parts) => `Bearer ${parts.join('.')}`),
      // alg none, or a payload swapped under the real signature.
      fc.constantFrom(`Bearer ${base64url({ alg: 'none', typ: 'JWT' })}.${payload}.`, `Bearer ${header}.${base64url({ ...claims, 'cognito:groups': ['privacy-officer'] })}.${signature}`),
      // Validly signed, but expired, of another use, client or issuer, or without a fitting scope.
      fc
        .record({ exp: fc.constantFrom(claims.exp, 1, 'never'), token_use: fc.constantFrom(claims.token_use, 'id', ''), client_id: fc.constantFrom(claims.client_id, 'someone-else'), iss: fc.constantFrom(claims.iss, 'http://127.0.0.1:1/evil'), scope: fc.constantFrom(claims.scope, 'openid', '') })
        .filter((changed) => Object.entries(changed).some(([name, value]) => claims[name] !== value))
        .map((changed) => `Bearer ${signWithCognitoLocalKey({ ...claims, ...changed })}`),
    );
    const path = fc.constantFrom('/Patient/demo-roy', '/Patient?name=roy', '/Patient/demo-tremblay/$everything', '/AuditEvent', '/admin/users');
    await fc.assert(
      fc.asyncProperty(forged, path, async (authorization, path) => {
        const answer = await send(Buffer.concat([bytesOf(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: `), Buffer.from(authorization.replace(/[\r\n]/g, ' '), 'utf8'), bytesOf('\r\n')]));
        expectRefusal(answer);
        expect([400, 401, 403]).toContain(answer.status);
      }),
      fuzzRuns(250),
    );
  });

  it('answers raw bytes, traversal and injection in paths with no 5xx', async () => {
    const before = await versionItems();
    const segment = fc.oneof(
      fc.constantFrom('..', '.', '', '%2e%2e', '%2F', '%00', '%ff', '%C3%28', '%', 'Patient', 'demo-roy', '_history', '$everything', '_search', 'metadata', 'AuditEvent', 'admin', '~', '%252e'),
      trickyString(10).map((text) => encodeURIComponent(text.replace(/[\uD800-\uDFFF]/g, ''))),
      fc.uint8Array({ minLength: 1, maxLength: 6 }).map((bytes) => Buffer.from(bytes.filter((byte) => byte > 0x20 && byte !== 0x7f && byte !== 0x3f && byte !== 0x23)).toString('latin1')),
    );
    const target = fc.tuple(fc.array(segment, { minLength: 1, maxLength: 5 }), fc.option(fc.array(fc.tuple(fc.constantFrom('name', '_id', '_count', '_format', 'identifier'), injectionValue), { maxLength: 3 }), { nil: undefined }))
      .map(([segments, query]) => `/${segments.join('/')}${query ? `?${new URLSearchParams(query).toString()}` : ''}`);
    const method = fc.constantFrom('GET', 'GET', 'DELETE', 'HEAD', 'OPTIONS', 'TRACE', 'PROPFIND');
    await fc.assert(
      fc.asyncProperty(method, target, async (method, target) => {
        expectHygienic(method, await send(`${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n`));
      }),
      fuzzRuns(250),
    );
    // DELETE of an existing id may be generated (`/Patient/demo-roy`): a delete is a new version, so only new keys are allowed then.
    expect((await versionItems()).filter((item) => !before.includes(item) && !item.startsWith('Patient#demo-roy '))).toEqual([]);
  });

  it('refuses bodies of invalid UTF-8 and broken header framing with a 4xx OperationOutcome, and writes nothing', async () => {
    const before = await versionItems();
    const invalidUtf8 = fc.tuple(fc.uint8Array({ maxLength: 40 }), fc.constantFrom([0xc3, 0x28], [0xff], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xf8, 0x88, 0x80, 0x80, 0x80]), fc.uint8Array({ maxLength: 40 }))
      .map(([head, bad, tail]) => Buffer.concat([bytesOf('{"resourceType":"Patient","name":[{"family":"'), Buffer.from(head), Buffer.from(bad), Buffer.from(tail), bytesOf('"}]}')]));
    const headerDefect = fc.constantFrom(
      'Content-Type: application/fhir+json\r\nContent-Type: text/plain\r\n',
      'Content-Type: application/fhir+json\r\n Folded: continuation\r\n',
      'Content-Type: application/fhir+json\r\nX-Break-Glass-Reason: \xff\xfe\r\n',
      'Content-Type: application/fhir+json\r\nIf-Match: W/"1"\x00\r\n',
      'Content-Type: application/fhir+json\r\nTransfer-Encoding: chunked\r\n',
      'Content-Type: application/fhir+json\r\nContent-Length: 99999999\r\n',
      `Content-Type: application/fhir+json\r\nX-Purpose-Of-Use: ${'A'.repeat(20_000)}\r\n`,
      'Content-Type: application/fhir+json\r\nBad Header: x\r\n',
      'Content-Type: application/fhir+json\r\nPrefer: return=representation\rX: y\r\n',
      'Content-Type: \xc3\x28\r\n',
      'Content-Type: application/fhir+json\r\n',
    );
    const path = fc.constantFrom('POST /Patient', 'PUT /Patient/demo-roy', 'POST /', 'PATCH /Patient/demo-roy');
    await fc.assert(
      fc.asyncProperty(path, headerDefect, invalidUtf8, async (path, defect, body) => {
        const answer = await send(`${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n${defect}`, body);
        expectRefusal(answer);
      }),
      fuzzRuns(200),
    );
    expect(await versionItems()).toEqual(before);
  });
});
