import { CognitoIdentityProviderClient, InitiateAuthCommand } from '@aws-sdk/client-cognito-identity-provider';
import type { StackInfo } from './stack';

/** Signs in through the Cognito API with USER_PASSWORD_AUTH, as a client reading stack.json would (tests and the loader). */
export async function signIn(info: StackInfo, email: string, password: string) {
  const cognito = new CognitoIdentityProviderClient({
    endpoint: info.cognito.endpoint,
    region: info.cognito.region,
    credentials: { accessKeyId: 'unused', secretAccessKey: 'unused' },
  });
  const result = await cognito.send(
    new InitiateAuthCommand({ AuthFlow: 'USER_PASSWORD_AUTH', ClientId: info.cognito.clientId, AuthParameters: { USERNAME: email, PASSWORD: password } }),
  );
  const { AccessToken: accessToken, IdToken: idToken } = result.AuthenticationResult ?? {};
  if (!accessToken || !idToken) throw new Error(`${email} was not signed in: ${result.ChallengeName ?? 'no tokens'} answered`);
  return { accessToken, idToken };
}
