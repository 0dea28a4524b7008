import { createSign } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** The key id cognito-local puts in the header of every token it signs. */
export const cognitoLocalKeyId = 'CognitoLocal';

let privateKey: string | undefined;

/**
 * Signs a JWT with cognito-local's own RS256 key, which ships in the package (so it protects
 * nothing beyond this machine). The local token endpoint signs client-credentials tokens with it,
 * so the gateway verifies them against cognito-local's JWKS like the tokens cognito-local issues.
 */
export function signWithCognitoLocalKey(payload: Record<string, unknown>): string {
  privateKey ??= (JSON.parse(readFileSync(require.resolve('cognito-local/lib/keys/cognitoLocal.private.json'), 'utf8')) as { pem: string }).pem;
  const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString('base64url');
  const unsigned = `${encode({ alg: 'RS256', typ: 'JWT', kid: cognitoLocalKeyId })}.${encode(payload)}`;
  return `${unsigned}.${createSign('RSA-SHA256').update(unsigned).sign(privateKey, 'base64url')}`;
}
