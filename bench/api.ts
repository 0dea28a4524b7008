import { CognitoIdentityProviderClient, InitiateAuthCommand } from '@aws-sdk/client-cognito-identity-provider';
import { performance } from 'node:perf_hooks';
import type { StackInfo } from '../local/stack';

/** A FHIR client of the local API, signed in as one demo user through cognito-local. */
export class Api {
  private constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {}

  static async signIn(info: StackInfo, role: string): Promise<Api> {
    const user = info.users.find((candidate) => candidate.roles.includes(role as never));
    if (!user) throw new Error(`no demo user with the role ${role}`);
    const cognito = new CognitoIdentityProviderClient({ endpoint: info.cognito.endpoint, region: info.cognito.region, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const result = await cognito.send(
      new InitiateAuthCommand({ AuthFlow: 'USER_PASSWORD_AUTH', ClientId: info.cognito.clientId, AuthParameters: { USERNAME: user.email, PASSWORD: user.password } }),
    );
    const token = result.AuthenticationResult?.AccessToken;
    if (!token) throw new Error(`cognito-local gave ${user.email} no access token`);
    return new Api(info.apiUrl, token);
  }

  /** One request; the time runs from the call to the last byte of the body. Fails on a non-2xx answer. */
  async send(method: string, path: string, body?: unknown): Promise<{ ms: number; json: unknown }> {
    const started = performance.now();
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { Authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/fhir+json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const ms = performance.now() - started;
    if (!response.ok) throw new Error(`HTTP ${response.status} on ${method} ${path.slice(0, 120)}: ${text.slice(0, 500)}`);
    return { ms, json: text ? (JSON.parse(text) as unknown) : undefined };
  }

  get(path: string) {
    return this.send('GET', path);
  }

  post(path: string, body: unknown) {
    return this.send('POST', path, body);
  }
}

interface Resource {
  readonly resourceType: string;
  readonly id: string;
  readonly meta?: { readonly lastUpdated?: string };
}

interface Searchset {
  readonly entry?: readonly { readonly resource?: Resource; readonly search?: { readonly mode?: string } }[];
}

/** A resource the API answered with (a create's body). */
export function resourceOf(json: unknown): Resource {
  const resource = json as Partial<Resource> | undefined;
  if (typeof resource?.id !== 'string' || typeof resource.resourceType !== 'string') throw new Error('bench: the API answered without a resource');
  return resource as Resource;
}

/** The id of a created resource. */
export function idOf(json: unknown): string {
  return resourceOf(json).id;
}

/** The ids of a searchset's `match` entries. */
export function matchIds(bundle: unknown): string[] {
  return ((bundle as Searchset | undefined)?.entry ?? []).flatMap((entry) =>
    entry.search?.mode !== 'include' && entry.resource && entry.resource.resourceType !== 'OperationOutcome' ? [entry.resource.id] : [],
  );
}
