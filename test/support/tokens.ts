import { CognitoIdentityProviderClient, InitiateAuthCommand } from '@aws-sdk/client-cognito-identity-provider';
import { createSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { StackInfo } from '../../local/stack';

/** Signs in through the Cognito API with USER_PASSWORD_AUTH, as a client reading stack.json would. */
export async function signIn(info: StackInfo, email: string, password: string) {
  const cognito = new CognitoIdentityProviderClient({
    endpoint: info.cognito.endpoint,
    region: info.cognito.region,
    credentials: { accessKeyId: 'unused', secretAccessKey: 'unused' },
  });
  const result = await cognito.send(
    new InitiateAuthCommand({ AuthFlow: 'USER_PASSWORD_AUTH', ClientId: info.cognito.clientId, AuthParameters: { USERNAME: email, PASSWORD: password } }),
  );
  return { accessToken: result.AuthenticationResult!.AccessToken!, idToken: result.AuthenticationResult!.IdToken! };
}

export function decodePayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

/**
 * Signs a token with cognito-local's own key (it ships in the package), so a test can vary
 * one claim, such as exp, while the signature and every other claim stay valid.
 */
export function signWithCognitoLocalKey(payload: Record<string, unknown>): string {
  const { pem } = JSON.parse(readFileSync(require.resolve('cognito-local/lib/keys/cognitoLocal.private.json'), 'utf8')) as { pem: string };
  const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString('base64url');
  const unsigned = `${encode({ alg: 'RS256', typ: 'JWT', kid: 'CognitoLocal' })}.${encode(payload)}`;
  return `${unsigned}.${createSign('RSA-SHA256').update(unsigned).sign(pem, 'base64url')}`;
}
