#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { resolveStageConfig } from '../lib/config';
import { createDscStacks } from '../lib/dsc-app';

const app = new App();
let config;
try {
  config = resolveStageConfig(app.node.tryGetContext('stage'), app.node.tryGetContext('stages'));
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
createDscStacks(app, config, process.env.CDK_DEFAULT_ACCOUNT);
