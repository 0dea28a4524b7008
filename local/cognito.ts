import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminGetUserCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  CreateGroupCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  ListGroupsCommand,
  ListUserPoolClientsCommand,
  ListUserPoolsCommand,
  UserNotFoundException,
} from '@aws-sdk/client-cognito-identity-provider';
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { roleDescriptions, roles } from '../lambdas/access/roles';
import type { Children } from './children';
import { waitUntil } from './children';
import { localCredentials } from './dynamodb';
import type { DemoUser } from './demo-data';

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

export interface ProvisionedPool {
  readonly userPoolId: string;
  readonly clientId: string;
}

/**
 * The same shape as the auth stack: an email-named pool, one group per role and a public
 * app client. Idempotent, so a restart finds what the last run made.
 */
export async function provisionPool(client: CognitoIdentityProviderClient, users: readonly DemoUser[]): Promise<ProvisionedPool> {
  const userPoolId = await ensurePool(client);
  const clientId = await ensureClient(client, userPoolId);
  await ensureGroups(client, userPoolId);
  for (const user of users) await ensureUser(client, userPoolId, user);
  return { userPoolId, clientId };
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
  // Reset the password and groups every start, so the printed accounts always work.
  await client.send(new AdminSetUserPasswordCommand({ UserPoolId: userPoolId, Username: user.email, Password: user.password, Permanent: true }));
  for (const role of user.roles) await client.send(new AdminAddUserToGroupCommand({ UserPoolId: userPoolId, Username: user.email, GroupName: role }));
}
