import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Architecture, LoggingFormat, Runtime, Tracing, type CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import * as path from 'node:path';
import type { FunctionDefinition } from '../../lambdas/contracts/functions';
import { acknowledgeNagFinding } from '../nag/acknowledge';
import type { EncryptedSqsDlq } from './encrypted-sqs-dlq';

export interface DscFunctionProps {
  readonly definition: FunctionDefinition;
  readonly environment: Record<string, string>;
  readonly logRetention: RetentionDays;
  /** Encrypts the function's log group. */
  readonly logsKey: IKey;
  /**
   * Concurrency set aside for the function, and its ceiling: given where the function could overrun a
   * table, with the reason beside the number. None shares the account's unreserved pool.
   */
  readonly reservedConcurrency?: number;
  /** Without reserved concurrency, why sharing the unreserved pool is safe for this function (given to the nag packs). */
  readonly unreservedBecause?: string;
  /** Where Lambda sends the events of an asynchronous invocation that failed every retry: required for asynchronous triggers. */
  readonly deadLetterQueue?: EncryptedSqsDlq;
  /** Other than the house 1024 MB and 10 s, where the function's work calls for it. */
  readonly memorySize?: number;
  readonly timeout?: Duration;
}

const repositoryRoot = path.resolve(__dirname, '..', '..');

/**
 * How every function is bundled: exported so the cold-start bench (bench/cold-start.ts) bundles
 * with exactly these options and its sizes cannot drift from what `cdk synth` deploys.
 */
export const functionBundling: BundlingOptions = {
  format: OutputFormat.ESM,
  target: 'node24',
  minify: true,
  sourceMap: true,
  // Documented as the default, yet only passed to esbuild when set: without it every synth prints each bundle's sizes.
  logLevel: LogLevel.WARNING,
  mainFields: ['module', 'main'],
  // Bundle our pinned AWS SDK rather than rely on whichever version the runtime ships.
  externalModules: [],
  // ESM output still meets CommonJS dependencies that call require().
  banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
  // Credentials come from Lambda's environment only (see lambda-credentials.ts).
  esbuildArgs: { '--alias:@aws-sdk/credential-provider-node': path.join(repositoryRoot, 'lambdas/platform/lambda-credentials.ts') },
};

/** The packs whose Lambda and IAM rules are the same rule under two names. */
const hipaaAndNist = ['HIPAA.Security', 'NIST.800.53.R5'] as const;

const streamWithoutDeadLetterQueue =
  'its DynamoDB stream event source mapping invokes it synchronously and sends the batches it gives up on to the mapping\'s encrypted SQS on-failure destination; a function dead-letter queue would receive nothing';

/**
 * Why a function loses no failed event without a dead-letter queue, by what invokes it: Lambda sends
 * only asynchronous invocations to one. The access log's subscription invokes asynchronously, so it has one.
 */
const noDeadLetterQueueBecause: Partial<Record<FunctionDefinition['trigger'], string>> = {
  api: 'API Gateway invokes it synchronously through a Lambda proxy integration, so a failure reaches the caller as an error response; a dead-letter queue receives only asynchronous invocations',
  'record-stream': streamWithoutDeadLetterQueue,
  'audit-stream': streamWithoutDeadLetterQueue,
  'user-pool': 'Cognito invokes it synchronously while issuing a token, so a failure fails that sign-in and the user retries; a dead-letter queue receives only asynchronous invocations',
};

/** The AWS APIs a function's own code calls, from its definition: what a VPC would have to reach through endpoints. */
function servicesCalled(definition: FunctionDefinition): string[] {
  return [
    ...(Object.keys(definition.tableAccess).length > 0 ? ['DynamoDB'] : []),
    ...(definition.userPoolActions ? ['Cognito'] : []),
    // The audit table's stream feeds the journal archiver, which writes the archive bucket.
    ...(definition.trigger === 'audit-stream' ? ['S3'] : []),
  ];
}

function outsideVpcBecause(definition: FunctionDefinition): string {
  const services = servicesCalled(definition);
  const runtime = 'the Lambda runtime sends its logs and traces to CloudWatch Logs and X-Ray';
  return services.length === 0
    ? `DSC has no VPC and no private resource, and this function calls no AWS API itself: ${runtime}`
    : `DSC has no VPC and no private resource: this function calls only ${services.join(' and ')}, at the regional AWS endpoints over TLS with IAM-signed requests, and ${runtime}`;
}

/**
 * The house Lambda defaults, in one place: runtime, architecture, memory and timeout, tracing, a
 * retained and encrypted log group, bundling. Configuration reaches a function as plain environment
 * values only (table names, client ids, origins): no secrets, which a test checks.
 */
export class DscFunction extends Construct {
  readonly function: NodejsFunction;
  /** The function's JSON log: metric filters (break-glass alerts) read it. */
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: DscFunctionProps) {
    super(scope, id);
    if (props.reservedConcurrency === undefined && props.unreservedBecause === undefined) {
      throw new Error(`${this.node.path}: give the function reserved concurrency, or the reason it may share the account's unreserved pool`);
    }
    if (props.deadLetterQueue === undefined && noDeadLetterQueueBecause[props.definition.trigger] === undefined) {
      throw new Error(`${this.node.path}: a function invoked asynchronously (${props.definition.trigger}) needs a dead-letter queue`);
    }
    const logGroup = (this.logGroup = new LogGroup(this, 'Logs', { retention: props.logRetention, encryptionKey: props.logsKey, removalPolicy: RemovalPolicy.RETAIN }));
    // Its own role instead of AWSLambdaBasicExecutionRole, which may create and write any log group.
    const role = new Role(this, 'ServiceRole', { assumedBy: new ServicePrincipal('lambda.amazonaws.com'), description: `DSC ${props.definition.id}` });
    logGroup.grantWrite(role);
    this.function = new NodejsFunction(this, 'Function', {
      entry: path.join(repositoryRoot, props.definition.entry),
      handler: 'handler',
      description: props.definition.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 1024,
      timeout: props.timeout ?? Duration.seconds(10),
      role,
      reservedConcurrentExecutions: props.reservedConcurrency,
      tracing: Tracing.ACTIVE,
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      environment: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
      projectRoot: repositoryRoot,
      depsLockFilePath: path.join(repositoryRoot, 'package-lock.json'),
      bundling: functionBundling,
    });
    if (props.deadLetterQueue) {
      // Set on the resource rather than through `deadLetterQueue`, whose grant adds kms:ReEncrypt* and kms:GenerateDataKey*.
      (this.function.node.defaultChild as CfnFunction).deadLetterConfig = { targetArn: props.deadLetterQueue.grantSendTo(this.function) };
    }
    this.acknowledgeNagFindings(props, role);
  }

  /** The findings this construct's own choices raise on every function, each with why it is safe here. */
  private acknowledgeNagFindings(props: DscFunctionProps, role: Role): void {
    const fn = this.function.node.defaultChild as CfnFunction;
    const policy = role.node.findChild('DefaultPolicy');
    acknowledgeNagFinding(
      policy,
      'AwsSolutions-IAM5[Resource::*]',
      'X-Ray\'s PutTraceSegments and PutTelemetryRecords (active tracing) accept no resource-level permissions; every other statement of the role names its resource, which test/lib/nag.test.ts checks',
    );
    const unreservedBecause = props.reservedConcurrency === undefined ? props.unreservedBecause : undefined;
    for (const pack of hipaaAndNist) {
      acknowledgeNagFinding(policy, `${pack}-IAMNoInlinePolicy`, 'the policy belongs to this function\'s own role alone and holds only the grants made to it; a customer managed policy would attach the same statements to the same single role');
      const noDeadLetterQueue = props.deadLetterQueue ? undefined : noDeadLetterQueueBecause[props.definition.trigger];
      if (noDeadLetterQueue !== undefined) acknowledgeNagFinding(fn, `${pack}-LambdaDLQ`, noDeadLetterQueue);
      acknowledgeNagFinding(fn, `${pack}-LambdaInsideVPC`, outsideVpcBecause(props.definition));
      if (unreservedBecause !== undefined) acknowledgeNagFinding(fn, `${pack}-LambdaConcurrency`, unreservedBecause);
    }
  }
}
