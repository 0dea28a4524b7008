import { Stack } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { DlqDestinationConfig, IEventSourceDlq, IEventSourceMapping, IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';

/**
 * A stream's on-failure destination in a KMS-encrypted queue. Unlike `SqsDlq`, whose grant adds
 * `kms:GenerateDataKey*` and `kms:ReEncrypt*`, it grants what sending to an encrypted queue takes
 * (SQS developer guide): `kms:GenerateDataKey` and `kms:Decrypt`, through SQS only.
 */
export class EncryptedSqsDlq implements IEventSourceDlq {
  constructor(
    private readonly queue: IQueue,
    private readonly key: IKey,
  ) {}

  bind(_target: IEventSourceMapping, targetHandler: IFunction): DlqDestinationConfig {
    return { destination: this.grantSendTo(targetHandler) };
  }

  /** Lets the function send to the queue (a stream's on-failure destination, or its own dead-letter queue); the queue's ARN. */
  grantSendTo(targetHandler: IFunction): string {
    this.queue.grant(targetHandler, 'sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl');
    targetHandler.addToRolePolicy(
      new PolicyStatement({
        sid: 'DeadLetterKeyOnlyThroughSqs',
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [this.key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `sqs.${Stack.of(targetHandler).region}.amazonaws.com` } },
      }),
    );
    return this.queue.queueArn;
  }
}
