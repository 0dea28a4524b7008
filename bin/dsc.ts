#!/usr/bin/env node
import { App, type Environment } from 'aws-cdk-lib';
import { resolveStageConfig, type StageConfig } from '../lib/config';
import { createDscStacks, stageEnvironment } from '../lib/dsc-app';
import { addNagPacks } from '../lib/nag/packs';

const app = new App();
// The environment is read once, here: the CLI sets CDK_DEFAULT_ACCOUNT from the current credentials, if any.
const cliAccount = process.env.CDK_DEFAULT_ACCOUNT;
let config: StageConfig;
let env: Environment;
try {
  config = resolveStageConfig(app.node.tryGetContext('stage'), app.node.tryGetContext('stages'));
  env = stageEnvironment(config, cliAccount);
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
createDscStacks(app, config, env.account);
// Every synth runs the nag packs: any unacknowledged finding fails it (cdk.out/validation-report.json).
addNagPacks(app);
