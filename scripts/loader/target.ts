import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { signIn } from '../../local/sign-in';
import type { StackInfo } from '../../local/stack';
import type { LoadTarget } from './client';
import { LoadError } from './inputs';

/** The demo account of loaders, migrations and tests (the integration role). */
export const integrationAccount = 'integration@dsc.local';

/**
 * `--url` with `--token` or `DSC_TOKEN` for a deployed API; without `--url`, the local stack of
 * `$DSC_LOCAL_DIR/stack.json` (default `.local`), signed in as the integration account.
 */
export async function resolveTarget(options: { url?: string; token?: string }, env: NodeJS.ProcessEnv = process.env): Promise<LoadTarget> {
  const token = options.token ?? env.DSC_TOKEN;
  if (options.url !== undefined) {
    if (!token) throw new LoadError(`--url ${options.url} needs a token: --token <access token> or the DSC_TOKEN variable`);
    return { baseUrl: options.url, token };
  }
  const file = path.join(env.DSC_LOCAL_DIR ?? '.local', 'stack.json');
  if (!existsSync(file)) throw new LoadError(`no local stack: ${file} does not exist; run npm start, or give --url and a token`);
  const info = JSON.parse(readFileSync(file, 'utf8')) as StackInfo;
  const answering = await fetch(`${info.apiUrl}/metadata`).then(
    (response) => response.ok,
    () => false,
  );
  if (!answering) throw new LoadError(`the local stack of ${file} does not answer at ${info.apiUrl}: is npm start still running?`);
  return token ? { baseUrl: info.apiUrl, token } : localTarget(info);
}

/** The local stack's API, with an access token of the integration account. */
export async function localTarget(info: StackInfo): Promise<LoadTarget> {
  const user = info.users.find((candidate) => candidate.email === integrationAccount);
  if (!user) throw new LoadError(`stack.json has no ${integrationAccount} account to sign in with`);
  const { accessToken } = await signIn(info, user.email, user.password).catch((error: unknown) => {
    throw new LoadError(`cannot sign in as ${integrationAccount} at ${info.cognito.endpoint}: ${(error as Error).message}`);
  });
  return { baseUrl: info.apiUrl, token: accessToken };
}
