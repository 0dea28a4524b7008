import { DescribeUserPoolClientCommand, ResourceNotFoundException, type CognitoIdentityProviderClient, type UserPoolClientType } from '@aws-sdk/client-cognito-identity-provider';
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { signWithCognitoLocalKey } from './cognito-local-key';
import { listenOnLoopback } from './ports';

export interface TokenEndpointOptions {
  readonly port: number;
  /** http://127.0.0.1:<cognito port>/<pool id>: the tokens must verify like cognito-local's own. */
  readonly issuer: string;
  readonly userPoolId: string;
  readonly cognito: CognitoIdentityProviderClient;
}

/** The path of Cognito's token endpoint on the user pool's managed-login domain. */
export const tokenPath = '/oauth2/token';

/** A form is a few hundred bytes; anything much larger is not a token request. */
const maxBodyBytes = 16 * 1024;

type OAuthError = 'invalid_request' | 'invalid_client' | 'unauthorized_client' | 'unsupported_grant_type' | 'invalid_scope';

class TokenRequestError extends Error {
  constructor(readonly error: OAuthError, description: string) {
    super(description);
  }
}

/**
 * Cognito's `POST /oauth2/token` for the client-credentials grant, which cognito-local lacks (it
 * serves only the authorization-code and refresh grants). A confidential app client authenticates
 * with HTTP Basic; the token it gets is shaped like Cognito's (subject = client id, no username,
 * no groups) and signed with cognito-local's key, under its issuer. Errors answer 400 with an
 * OAuth error code, as Cognito does.
 */
export async function startTokenEndpoint(options: TokenEndpointOptions): Promise<Server> {
  const server = createServer((req, res) => {
    answer(req, res, options).catch((error: unknown) => {
      if (error instanceof TokenRequestError) sendJson(res, 400, { error: error.error, error_description: error.message });
      else sendJson(res, 500, { error: 'server_error' });
    });
  });
  return listenOnLoopback(server, options.port);
}

async function answer(req: IncomingMessage, res: ServerResponse, options: TokenEndpointOptions): Promise<void> {
  if (new URL(req.url ?? '/', 'http://token.local').pathname !== tokenPath) {
    sendJson(res, 404, { error: 'not_found' });
    return;
  }
  if (req.method !== 'POST') {
    res.setHeader('Allow', 'POST');
    sendJson(res, 405, { error: 'method_not_allowed' });
    return;
  }
  if (!/^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] ?? '')) throw new TokenRequestError('invalid_request', 'The body must be application/x-www-form-urlencoded');
  const form = new URLSearchParams(await readBody(req));
  const grantType = form.get('grant_type');
  if (!grantType) throw new TokenRequestError('invalid_request', 'grant_type is required');
  if (grantType !== 'client_credentials') throw new TokenRequestError('unsupported_grant_type', `Only client_credentials is served locally; staff sign in through cognito-local`);

  const appClient = await authenticatedClient(req.headers.authorization, options);
  if (!appClient.AllowedOAuthFlows?.includes('client_credentials')) throw new TokenRequestError('unauthorized_client', 'The client may not use the client_credentials grant');
  const allowed = appClient.AllowedOAuthScopes ?? [];
  const requested = form.get('scope')?.split(' ').filter(Boolean);
  // Without a scope parameter Cognito grants every custom scope the client is allowed.
  const scopes = requested ?? allowed;
  if (scopes.length === 0 || scopes.some((scope) => !allowed.includes(scope))) throw new TokenRequestError('invalid_scope', 'A requested scope is not allowed for this client');

  const now = Math.floor(Date.now() / 1000);
  const expiresIn = accessTokenSeconds(appClient);
  const clientId = appClient.ClientId ?? '';
  const accessToken = signWithCognitoLocalKey({
    sub: clientId,
    token_use: 'access',
    scope: scopes.join(' '),
    auth_time: now,
    iss: options.issuer,
    exp: now + expiresIn,
    iat: now,
    version: 2,
    jti: randomUUID(),
    client_id: clientId,
  });
  sendJson(res, 200, { access_token: accessToken, expires_in: expiresIn, token_type: 'Bearer' });
}

/** The app client named by HTTP Basic credentials, if its secret matches (RFC 6749 §2.3.1: both parts form-encoded). */
async function authenticatedClient(authorization: string | undefined, options: TokenEndpointOptions): Promise<UserPoolClientType> {
  const encoded = /^Basic\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  const decoded = encoded === undefined ? '' : Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 1) throw new TokenRequestError('invalid_client', 'Client authentication with HTTP Basic is required');
  const clientId = formDecoded(decoded.slice(0, colon));
  const secret = formDecoded(decoded.slice(colon + 1));
  const appClient = await options.cognito.send(new DescribeUserPoolClientCommand({ UserPoolId: options.userPoolId, ClientId: clientId })).then(
    (described) => described.UserPoolClient,
    (error: unknown) => {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw error;
    },
  );
  if (!appClient?.ClientSecret || !sameSecret(appClient.ClientSecret, secret)) throw new TokenRequestError('invalid_client', 'Client authentication failed');
  return appClient;
}

function formDecoded(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    throw new TokenRequestError('invalid_client', 'The client credentials are not form-encoded');
  }
}

function sameSecret(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

function accessTokenSeconds(appClient: UserPoolClientType): number {
  const unitSeconds = { seconds: 1, minutes: 60, hours: 3600, days: 86_400 }[appClient.TokenValidityUnits?.AccessToken ?? 'hours'];
  return (appClient.AccessTokenValidity ?? 1) * unitSeconds;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBodyBytes) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > maxBodyBytes) reject(new TokenRequestError('invalid_request', 'The request body is too large'));
      else resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: object): void {
  // RFC 6749 §5.1: token responses must not be cached.
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', Pragma: 'no-cache' });
  res.end(JSON.stringify(body));
}
