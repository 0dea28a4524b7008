import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Architecture, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import * as path from 'node:path';
import type { FunctionDefinition } from '../../lambdas/contracts/functions';

export interface DscFunctionProps {
  readonly definition: FunctionDefinition;
  readonly environment: Record<string, string>;
  readonly logRetention: RetentionDays;
  /** Encrypts the function's log group. */
  readonly logsKey: IKey;
}

const repositoryRoot = path.resolve(__dirname, '..', '..');

/** The house Lambda defaults, in one place: runtime, architecture, tracing, logs, bundling. */
export class DscFunction extends Construct {
  readonly function: NodejsFunction;

  constructor(scope: Construct, id: string, props: DscFunctionProps) {
    super(scope, id);
    const logGroup = new LogGroup(this, 'Logs', { retention: props.logRetention, encryptionKey: props.logsKey, removalPolicy: RemovalPolicy.RETAIN });
    this.function = new NodejsFunction(this, 'Function', {
      entry: path.join(repositoryRoot, props.definition.entry),
      handler: 'handler',
      description: props.definition.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: 1024,
      timeout: Duration.seconds(10),
      tracing: Tracing.ACTIVE,
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      environment: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
      projectRoot: repositoryRoot,
      depsLockFilePath: path.join(repositoryRoot, 'package-lock.json'),
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        minify: true,
        sourceMap: true,
        mainFields: ['module', 'main'],
        // Bundle our pinned AWS SDK rather than rely on whichever version the runtime ships.
        externalModules: [],
        // ESM output still meets CommonJS dependencies that call require().
        banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
        // Credentials come from Lambda's environment only (see lambda-credentials.ts).
        esbuildArgs: { '--alias:@aws-sdk/credential-provider-node': path.join(repositoryRoot, 'lambdas/platform/lambda-credentials.ts') },
      },
    });
  }
}
