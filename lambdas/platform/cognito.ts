import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';

/**
 * One Cognito client per execution environment. As for DynamoDB, the endpoint comes from the
 * SDK's own AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER, which only the local runtime sets.
 */
let client: CognitoIdentityProviderClient | undefined;

export function cognitoClient(): CognitoIdentityProviderClient {
  client ??= new CognitoIdentityProviderClient({ maxAttempts: 3 });
  return client;
}
