import * as path from 'node:path';
import { StartupError } from './ports';
import { startLocalStack, type StackInfo } from './stack';

/**
 * `npm start`: the whole system on this machine, offline. Ports come from PORT,
 * COGNITO_PORT, TOKEN_PORT, DYNAMODB_PORT and S3_PORT; data persists in DSC_LOCAL_DIR (default .local)
 * unless --in-memory is given.
 */
// This machine's Node 20 is supported by the pinned SDK; its notice about future versions is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new StartupError(`${name}=${raw} is not a valid port number`);
  return port;
}

function fail(message: string): never {
  console.error(`dsc: ${message}`);
  process.exit(1);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const unknown = args.filter((arg) => arg !== '--in-memory');
  if (unknown.length > 0) throw new StartupError(`unknown option ${unknown.join(' ')}; the only option is --in-memory`);

  let stopping: Promise<void> | undefined;
  const stack = await startLocalStack({
    apiPort: portFromEnv('PORT', 3000),
    cognitoPort: portFromEnv('COGNITO_PORT', 9229),
    tokenPort: portFromEnv('TOKEN_PORT', 9230),
    dynamoDbPort: portFromEnv('DYNAMODB_PORT', 8000),
    s3Port: portFromEnv('S3_PORT', 4569),
    localDir: path.resolve(process.env.DSC_LOCAL_DIR ?? '.local'),
    inMemory: args.includes('--in-memory'),
    log: (line) => {
      console.log(`  ${line}`);
    },
    onCrash: (message) => {
      console.error(`dsc: ${message}; stopping`);
      stopping ??= stack.stop().finally(() => process.exit(1));
    },
  });

  const shutdown = (signal: string) => {
    console.log(`\n${signal}: stopping the local stack…`);
    stopping ??= stack.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', () => {
    shutdown('SIGINT');
  });
  process.on('SIGTERM', () => {
    shutdown('SIGTERM');
  });
  // A closed stdout (say, a pipe whose reader quit) must not kill us before the children are stopped.
  process.stdout.on('error', () => undefined);
  console.log(banner(stack.info, stack.stackFile, args.includes('--in-memory')));
}

function banner(info: StackInfo, stackFile: string, inMemory: boolean): string {
  const user = info.users.find((candidate) => candidate.roles.includes('physician')) ?? { email: '<email>', password: '<password>' };
  const users = info.users.map((u) => `    ${u.email.padEnd(26)} ${u.password.padEnd(26)} ${u.roles.join(', ')}`).join('\n');
  return `
DSC local stack is ready${inMemory ? ' (in memory: nothing is kept)' : ''}.

  FHIR API          ${info.apiUrl}            (GET ${info.apiUrl}/metadata needs no token)
  Cognito endpoint  ${info.cognito.endpoint}   region ${info.cognito.region}
  User pool         ${info.cognito.userPoolId}
  App client        ${info.cognito.clientId}
  Token endpoint    ${info.cognito.tokenEndpoint}   (client credentials: ${info.cognito.integrationClients.map((client) => client.name).join(', ')}; ids and secrets in stack.json)
  DynamoDB Local    ${info.dynamoDb.endpoint}
  S3 (s3rver)       ${info.s3.endpoint}   bucket ${info.s3.bucket}
  Stack facts       ${stackFile}

  Demo staff accounts (email / password / roles):
${users}

  Demo patients: ${info.demoPatients.join(', ')}

  Try it:
    TOKEN=$(curl -s ${info.cognito.endpoint}/ \\
      -H 'Content-Type: application/x-amz-json-1.1' \\
      -H 'X-Amz-Target: AWSCognitoIdentityProviderService.InitiateAuth' \\
      -d '{"AuthFlow":"USER_PASSWORD_AUTH","ClientId":"${info.cognito.clientId}","AuthParameters":{"USERNAME":"${user.email}","PASSWORD":"${user.password}"}}' \\
      | node -pe 'JSON.parse(require("fs").readFileSync(0)).AuthenticationResult.AccessToken')
    curl -s ${info.apiUrl}/${info.demoPatients[0]} -H "Authorization: Bearer $TOKEN"
    curl -s -X POST ${info.apiUrl}/Patient -H "Authorization: Bearer $TOKEN" \\
      -H 'Content-Type: application/fhir+json' -d '{"resourceType":"Patient","name":[{"family":"Bouchard"}]}'

Press Ctrl-C to stop.`;
}

main().catch((error: unknown) => fail(error instanceof StartupError ? error.message : `could not start: ${(error as Error).stack ?? String(error)}`));
