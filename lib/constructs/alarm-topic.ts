import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface AlarmTopicProps {
  /** Subscribed by email; none leaves subscribing to the operators (the topic still collects every alarm). */
  readonly email?: string;
}

/** The services that publish alarms: CloudWatch alarms and EventBridge rules (break-glass events, CIS filters). */
export const alarmPublishers = ['cloudwatch.amazonaws.com', 'events.amazonaws.com'] as const;

/**
 * The operators' alarm topic, encrypted with a key of its own. Not the logs key: publishers must be
 * able to encrypt with the topic's key, and CloudWatch and EventBridge have no business with the key
 * that protects the API's logs (caller ids, IPs). Alarm text holds no PHI, but the topic is
 * encrypted all the same (nag SNS2/SNSEncryptedKMS) and only reached over TLS.
 */
export class AlarmTopic extends Construct {
  readonly topic: Topic;
  readonly key: Key;

  constructor(scope: Construct, id: string, props: AlarmTopicProps) {
    super(scope, id);
    const { account } = Stack.of(this);
    this.key = new Key(this, 'Key', {
      description: 'DSC operators alarm topic (SNS)',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // SNS encrypts each message with the topic key on the publisher's behalf: the publisher needs it.
    this.key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AlarmPublishersEncryptMessages',
        principals: alarmPublishers.map((service) => new ServicePrincipal(service)),
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );

    this.topic = new Topic(this, 'Topic', { displayName: 'DSC alarms', masterKey: this.key, enforceSSL: true });
    // This account's alarms and rules only: the confused-deputy guard of the SNS guide.
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AlarmPublishersOfThisAccount',
        principals: alarmPublishers.map((service) => new ServicePrincipal(service)),
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': account } },
      }),
    );
    if (props.email !== undefined) this.topic.addSubscription(new EmailSubscription(props.email));
  }
}
