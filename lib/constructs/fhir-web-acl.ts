import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CfnLoggingConfiguration, CfnWebACL, CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

export interface FhirWebAclProps {
  /** ARN of the API Gateway stage to protect. */
  readonly stageArn: string;
  readonly rateLimitPer5Minutes: number;
  readonly logRetention: RetentionDays;
  /** Encrypts the WAF log group. */
  readonly logsKey: IKey;
}

interface ManagedGroup {
  readonly name: string;
  /** Rules switched to count, each for a reason given beside it. */
  readonly countOnly?: readonly string[];
}

const managedGroups: readonly ManagedGroup[] = [
  {
    name: 'AWSManagedRulesCommonRuleSet',
    countOnly: [
      'SizeRestrictions_BODY', // blocks bodies over 8 KB; FHIR resources and Bundles are routinely larger
      'CrossSiteScripting_BODY', // FHIR narratives (Resource.text.div) are XHTML by design
    ],
  },
  { name: 'AWSManagedRulesKnownBadInputsRuleSet' },
  { name: 'AWSManagedRulesSQLiRuleSet' },
  { name: 'AWSManagedRulesAmazonIpReputationList' },
];

/** The regional web ACL in front of the FHIR API: AWS managed rules blocking, a per-IP rate limit, logging. */
export class FhirWebAcl extends Construct {
  readonly webAcl: CfnWebACL;

  constructor(scope: Construct, id: string, props: FhirWebAclProps) {
    super(scope, id);
    const visibility = (metricName: string) => ({ cloudWatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName });

    this.webAcl = new CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('dsc-fhir-api'),
      // Web ACL level, so it covers sampled requests (kept by sampledRequestsEnabled) as well as the logs:
      // bearer tokens and session cookies are replaced by REDACTED wherever WAF keeps a request.
      dataProtectionConfig: {
        dataProtections: [{ action: 'SUBSTITUTION', field: { fieldType: 'SINGLE_HEADER', fieldKeys: ['authorization', 'cookie'] } }],
      },
      rules: [
        {
          name: 'RateLimitPerIp',
          priority: 0,
          action: { block: {} },
          statement: { rateBasedStatement: { limit: props.rateLimitPer5Minutes, aggregateKeyType: 'IP' } },
          visibilityConfig: visibility('rate-limit-per-ip'),
        },
        ...managedGroups.map((group, index) => ({
          name: group.name,
          priority: index + 1,
          overrideAction: { none: {} }, // keep the group's own block actions
          statement: {
            managedRuleGroupStatement: {
              vendorName: 'AWS',
              name: group.name,
              ruleActionOverrides: group.countOnly?.map((rule) => ({ name: rule, actionToUse: { count: {} } })),
            },
          },
          visibilityConfig: visibility(group.name),
        })),
      ],
    });

    new CfnWebACLAssociation(this, 'StageAssociation', { resourceArn: props.stageArn, webAclArn: this.webAcl.attrArn });

    // WAF requires its log group name to start with aws-waf-logs-.
    const logGroup = new LogGroup(this, 'Logs', {
      logGroupName: `aws-waf-logs-${this.node.addr}`,
      retention: props.logRetention,
      encryptionKey: props.logsKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    new CfnLoggingConfiguration(this, 'Logging', {
      resourceArn: this.webAcl.attrArn,
      // WAF wants the log group ARN without the ':*' suffix that logGroupArn carries.
      logDestinationConfigs: [
        Stack.of(this).formatArn({ service: 'logs', resource: 'log-group', resourceName: logGroup.logGroupName, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
      ],
      // Bearer tokens must not land in logs.
      redactedFields: [{ singleHeader: { Name: 'authorization' } }],
    });
  }
}
