// Runs one Lambda function in its own worker thread, as the deployed function runs in its own
// sandbox: only its own environment (set by the host), and only the table actions its IAM policy
// grants (enforced on the SDK client before the handler module loads). CommonJS because the
// TypeScript loader (tsx) is registered per thread through its require hook.
require('tsx/cjs/api').register();
const { parentPort, workerData } = require('node:worker_threads');
const { enforceGrants, enforceUserPoolGrants } = require('./grants.ts');

const { documentClient } = require(workerData.platformDynamoDb);
enforceGrants(documentClient(), workerData.grants);
if (workerData.userPoolActions) enforceUserPoolGrants(require(workerData.platformCognito).cognitoClient(), workerData.userPoolActions);
const { handler } = require(workerData.entry);

parentPort.on('message', async ({ id, event, context }) => {
  const lambdaContext = { ...context, getRemainingTimeInMillis: () => 10_000, done() {}, fail() {}, succeed() {} };
  try {
    parentPort.postMessage({ id, result: await handler(event, lambdaContext) });
  } catch (error) {
    parentPort.postMessage({ id, error: { name: error?.name ?? 'Error', message: String(error?.message ?? error) } });
  }
});
parentPort.postMessage({ ready: true });
