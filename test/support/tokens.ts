import type { StackInfo } from '../../local/stack';

export { signIn } from '../../local/sign-in';

export function decodePayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

/**
 * Signs a token with cognito-local's own key (it ships in the package), so a test can vary
 * one claim, such as exp, while the signature and every other claim stay valid.
 */
export { signWithCognitoLocalKey } from '../../local/cognito-local-key';

/** The integration app client of stack.json with this name. */
export function integrationClient(info: StackInfo, name: string) {
  const client = info.cognito.integrationClients.find((candidate) => candidate.name === name);
  if (!client) throw new Error(`no integration client ${name} in stack.json`);
  return client;
}

/** POSTs a client-credentials request to the local token endpoint, as an integration would (HTTP Basic, form body). */
export function requestToken(info: StackInfo, credentials: { clientId: string; clientSecret: string }, form: Record<string, string> = { grant_type: 'client_credentials' }): Promise<Response> {
  const basic = Buffer.from(`${encodeURIComponent(credentials.clientId)}:${encodeURIComponent(credentials.clientSecret)}`).toString('base64');
  return fetch(info.cognito.tokenEndpoint, {
    method: 'POST',
    headers: { Authorization: `Basic ${basic}`, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
}

/** An access token of the named integration client, obtained with the client-credentials grant. */
export async function clientCredentialsToken(info: StackInfo, name: string): Promise<string> {
  const response = await requestToken(info, integrationClient(info, name));
  if (response.status !== 200) throw new Error(`token endpoint answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { access_token: string }).access_token;
}
