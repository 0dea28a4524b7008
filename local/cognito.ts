import {
  AddCustomAttributesCommand,
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminGetUserCommand,
  AdminSetUserPasswordCommand,
  AdminUpdateUserAttributesCommand,
  CognitoIdentityProviderClient,
  CreateGroupCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  DescribeUserPoolClientCommand,
  DescribeUserPoolCommand,
  ListGroupsCommand,
  ListUserPoolClientsCommand,
  ListUserPoolsCommand,
  UserNotFoundException,
} from '@aws-sdk/client-cognito-identity-provider';
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { roleDescriptions, roles } from '../lambdas/access/roles';
import { practitionerAttribute } from '../lambdas/contracts/auth';
import type { Children } from './children';
import { waitUntil } from './children';
import { localCredentials } from './dynamodb';
import type { DemoIntegrationClient, DemoUser } from './demo-data';
import type { UserAttributesOf } from './staff-token-trigger';

const cognitoLocalBin = require.resolve('cognito-local/lib/bin/start.js');
const poolName = 'dsc-local-staff';
const clientName = 'dsc-local-web';
export const localRegion = 'ca-central-1';

export interface CognitoLocalOptions {
  readonly port: number;
  /** Working folder; cognito-local keeps its config and data in <dir>/.cognito. */
  readonly dir: string;
}

export async function startCognitoLocal(children: Children, options: CognitoLocalOptions): Promise<CognitoIdentityProviderClient> {
  mkdirSync(path.join(options.dir, '.cognito'), { recursive: true });
  const child = spawn(process.execPath, [cognitoLocalBin], {
    cwd: options.dir,
    // HOST and PORT also set the token issuer, http://127.0.0.1:<port>/<pool id>.
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(options.port) },
    stdio: 'pipe',
    detached: true, // own process group, as for DynamoDB Local: we stop it ourselves
  });
  children.add('cognito-local', child);
  const endpoint = cognitoEndpoint(options.port);
  await waitUntil('cognito-local', async () => (await fetch(`${endpoint}/health`).catch(() => undefined)) !== undefined, 30_000);
  return new CognitoIdentityProviderClient({ endpoint, region: localRegion, credentials: localCredentials });
}

export function cognitoEndpoint(port: number): string {
  return `http://127.0.0.1:${port}`;
}

/** A client-credentials app client, with the secret it authenticates with at the token endpoint. */
export interface IntegrationClient {
  readonly name: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly scopes: readonly string[];
}

export interface ProvisionedPool {
  readonly userPoolId: string;
  readonly clientId: string;
  readonly integrationClients: readonly IntegrationClient[];
}

/**
 * The same shape as the auth stack: an email-named pool with the practitioner attribute, one
 * group per role, a public app client for staff and confidential ones for integrations.
 * Idempotent, so a restart finds what the last run made (a pool from an older run gains the
 * attribute it lacks).
 */
export async function provisionPool(
  client: CognitoIdentityProviderClient,
  users: readonly DemoUser[],
  integrations: readonly DemoIntegrationClient[],
): Promise<ProvisionedPool> {
  const userPoolId = await ensurePool(client);
  await ensurePractitionerAttribute(client, userPoolId);
  const clientId = await ensureClient(client, userPoolId);
  const integrationClients: IntegrationClient[] = [];
  for (const integration of integrations) integrationClients.push(await ensureIntegrationClient(client, userPoolId, integration));
  await ensureGroups(client, userPoolId);
  for (const user of users) await ensureUser(client, userPoolId, user);
  return { userPoolId, clientId, integrationClients };
}

async function ensurePool(client: CognitoIdentityProviderClient): Promise<string> {
  const existing = await client.send(new ListUserPoolsCommand({ MaxResults: 60 }));
  const found = existing.UserPools?.find((pool) => pool.Name === poolName)?.Id;
  if (found) return found;
  const created = await client.send(
    new CreateUserPoolCommand({
      PoolName: poolName,
      UsernameAttributes: ['email'],
      AutoVerifiedAttributes: ['email'],
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
    }),
  );
  const id = created.UserPool?.Id;
  if (id === undefined) throw new Error(`CreateUserPool answered without a pool id for ${poolName}`);
  return id;
}

async function ensurePractitionerAttribute(client: CognitoIdentityProviderClient, userPoolId: string): Promise<void> {
  const { UserPool } = await client.send(new DescribeUserPoolCommand({ UserPoolId: userPoolId }));
  if (UserPool?.SchemaAttributes?.some((attribute) => attribute.Name === practitionerAttribute)) return;
  // Mutable, as in the auth stack: the admin API relinks an account; app clients get no write access to it there.
  const name = practitionerAttribute.replace(/^custom:/, '');
  await client.send(new AddCustomAttributesCommand({ UserPoolId: userPoolId, CustomAttributes: [{ Name: name, AttributeDataType: 'String', Mutable: true }] }));
}

async function ensureClient(client: CognitoIdentityProviderClient, userPoolId: string): Promise<string> {
  const existing = await client.send(new ListUserPoolClientsCommand({ UserPoolId: userPoolId, MaxResults: 60 }));
  const found = existing.UserPoolClients?.find((appClient) => appClient.ClientName === clientName)?.ClientId;
  if (found) return found;
  const created = await client.send(
    new CreateUserPoolClientCommand({
      UserPoolId: userPoolId,
      ClientName: clientName,
      GenerateSecret: false,
      // Locally only the password flow exists: cognito-local has neither SRP nor USER_AUTH/EMAIL_OTP.
      ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      AccessTokenValidity: 1,
      IdTokenValidity: 1,
      RefreshTokenValidity: 12,
      TokenValidityUnits: { AccessToken: 'hours', IdToken: 'hours', RefreshToken: 'hours' },
    }),
  );
  const id = created.UserPoolClient?.ClientId;
  if (id === undefined) throw new Error(`CreateUserPoolClient answered without a client id for ${clientName}`);
  return id;
}

async function ensureIntegrationClient(client: CognitoIdentityProviderClient, userPoolId: string, integration: DemoIntegrationClient): Promise<IntegrationClient> {
  const existing = await client.send(new ListUserPoolClientsCommand({ UserPoolId: userPoolId, MaxResults: 60 }));
  const found = existing.UserPoolClients?.find((appClient) => appClient.ClientName === integration.name)?.ClientId;
  const appClient = found
    ? (await client.send(new DescribeUserPoolClientCommand({ UserPoolId: userPoolId, ClientId: found }))).UserPoolClient
    : (
        await client.send(
          new CreateUserPoolClientCommand({
            UserPoolId: userPoolId,
            ClientName: integration.name,
            GenerateSecret: true,
            AllowedOAuthFlowsUserPoolClient: true,
            AllowedOAuthFlows: ['client_credentials'],
            AllowedOAuthScopes: [...integration.scopes],
            AccessTokenValidity: 1,
            TokenValidityUnits: { AccessToken: 'hours' },
          }),
        )
      ).UserPoolClient;
  const { ClientId: clientId, ClientSecret: clientSecret } = appClient ?? {};
  if (clientId === undefined || clientSecret === undefined) throw new Error(`cognito-local gave no id or secret for the app client ${integration.name}`);
  return { name: integration.name, clientId, clientSecret, scopes: appClient?.AllowedOAuthScopes ?? [] };
}

async function ensureGroups(client: CognitoIdentityProviderClient, userPoolId: string): Promise<void> {
  // ListGroups rather than GetGroup: cognito-local answers GetGroup for a missing group with an unnamed error.
  const existing = await client.send(new ListGroupsCommand({ UserPoolId: userPoolId }));
  const names = new Set(existing.Groups?.map((group) => group.GroupName));
  for (const role of roles) {
    if (!names.has(role)) await client.send(new CreateGroupCommand({ UserPoolId: userPoolId, GroupName: role, Description: roleDescriptions[role] }));
  }
}

async function ensureUser(client: CognitoIdentityProviderClient, userPoolId: string, user: DemoUser): Promise<void> {
  try {
    await client.send(new AdminGetUserCommand({ UserPoolId: userPoolId, Username: user.email }));
  } catch (error) {
    if (!(error instanceof UserNotFoundException)) throw error;
    await client.send(
      new AdminCreateUserCommand({
        UserPoolId: userPoolId,
        Username: user.email,
        MessageAction: 'SUPPRESS',
        UserAttributes: [
          { Name: 'email', Value: user.email },
          { Name: 'email_verified', Value: 'true' },
        ],
      }),
    );
  }
  // Reset the password, Practitioner link and groups every start, so the printed accounts always work.
  await client.send(new AdminSetUserPasswordCommand({ UserPoolId: userPoolId, Username: user.email, Password: user.password, Permanent: true }));
  await client.send(
    new AdminUpdateUserAttributesCommand({ UserPoolId: userPoolId, Username: user.email, UserAttributes: [{ Name: practitionerAttribute, Value: user.practitioner }] }),
  );
  for (const role of user.roles) await client.send(new AdminAddUserToGroupCommand({ UserPoolId: userPoolId, Username: user.email, GroupName: role }));
}

/**
 * A verified token's user attributes, as the pre-token-generation trigger receives them, read with
 * AdminGetUser and kept briefly per sub: long enough to spare cognito-local a call per request,
 * short enough that a relinked Practitioner shows soon (a deployed token keeps its claims until it expires).
 */
export function userAttributeLookup(client: CognitoIdentityProviderClient, userPoolId: string, ttlMs = 30_000): UserAttributesOf {
  const cache = new Map<string, { readonly until: number; readonly attributes: Promise<Record<string, string> | undefined> }>();
  return ({ sub, username }) => {
    const cached = cache.get(sub);
    if (cached && cached.until > Date.now()) return cached.attributes;
    const attributes = client.send(new AdminGetUserCommand({ UserPoolId: userPoolId, Username: username })).then(
      (user) => ({
        ...Object.fromEntries((user.UserAttributes ?? []).flatMap((attribute) => (attribute.Name && attribute.Value !== undefined ? [[attribute.Name, attribute.Value]] : []))),
        ...(user.UserStatus ? { 'cognito:user_status': user.UserStatus } : {}),
      }),
      (error: unknown) => {
        if (error instanceof UserNotFoundException) return undefined;
        cache.delete(sub); // a transient failure must not be remembered
        throw error;
      },
    );
    cache.set(sub, { until: Date.now() + ttlMs, attributes });
    return attributes;
  };
}
