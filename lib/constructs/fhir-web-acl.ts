import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CfnIPSet, CfnLoggingConfiguration, CfnWebACL, CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { gatewayResponseBody, gatewayResponses, type GatewayResponseDefinition } from '../../lambdas/contracts/gateway-responses';
import { securityHeaders } from '../../lambdas/contracts/security-headers';

export interface FhirWebAclProps {
  /** ARN of the API Gateway stage to protect. */
  readonly stageArn: string;
  readonly rateLimitPer5Minutes: number;
  /** The API's own body limit (request-limits.ts): a larger declared Content-Length is refused here. */
  readonly maxBodyBytes: number;
  /** ISO 3166-1 alpha-2 codes let through; empty lets every country through. */
  readonly allowedCountries: readonly string[];
  /** IPv4 CIDRs let through; empty lets every address through. */
  readonly allowedIpRanges: readonly string[];
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
      'SizeRestrictions_BODY', // blocks bodies over 8 KB; FHIR resources and Bundles are routinely larger (BodyOverApiLimit applies the API's limit instead)
      'CrossSiteScripting_BODY', // FHIR narratives (Resource.text.div) are XHTML by design
    ],
  },
  { name: 'AWSManagedRulesKnownBadInputsRuleSet' },
  { name: 'AWSManagedRulesSQLiRuleSet' },
  { name: 'AWSManagedRulesAmazonIpReputationList' },
];

/** Headers redacted from WAF logs and replaced in sampled requests: bearer tokens and session cookies. */
export const protectedHeaders = ['authorization', 'cookie'] as const;

/**
 * A regular expression matching the decimal integers above `limit` (leading zeros allowed): WAF
 * cannot compare a header's value as a number, but a regex over its digits can.
 */
export function decimalAbovePattern(limit: number): string {
  const digits = String(limit);
  if (!/^\d+$/.test(digits)) throw new Error(`Not a non-negative integer: ${String(limit)}`);
  // Longer numbers, then same-length numbers greater at the first differing digit.
  const alternatives = [`[1-9][0-9]{${digits.length},}`];
  for (let index = 0; index < digits.length; index += 1) {
    const digit = Number(digits[index]);
    if (digit === 9) continue;
    const rest = digits.length - index - 1;
    alternatives.push(`${digits.slice(0, index)}[${digit + 1}-9]${rest > 0 ? `[0-9]{${rest}}` : ''}`);
  }
  return `^0*(?:${alternatives.join('|')})$`;
}

/** WAF's block answers, as FHIR OperationOutcomes with the API's security headers (they take precedence over API Gateway's). */
const customResponses = {
  tooLarge: gatewayResponses.tooLarge,
  throttled: gatewayResponses.throttled,
} as const satisfies Record<string, GatewayResponseDefinition & { readonly statusCode: number }>;

function blockWith(key: keyof typeof customResponses): CfnWebACL.RuleActionProperty {
  return {
    block: {
      customResponse: {
        responseCode: customResponses[key].statusCode,
        customResponseBodyKey: key,
        responseHeaders: Object.entries(securityHeaders).map(([name, value]) => ({ name, value })),
      },
    },
  };
}

/**
 * The regional web ACL in front of the FHIR API: optional country and address allow-lists, a per-IP
 * rate limit, the API's body limit, AWS managed rules, all blocking; logging with credentials redacted.
 */
export class FhirWebAcl extends Construct {
  readonly webAcl: CfnWebACL;
  /** The web ACL's CloudWatch metric name: the `WebACL` dimension of its AWS/WAFV2 metrics. */
  readonly metricName: string;

  constructor(scope: Construct, id: string, props: FhirWebAclProps) {
    super(scope, id);
    // Unique per stage: two stages in one account must not share WAF metrics.
    this.metricName = `${Stack.of(this).stackName}-fhir-api`;
    const visibility = (metricName: string) => ({ cloudWatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName });

    const rules: Omit<CfnWebACL.RuleProperty, 'priority'>[] = [];
    if (props.allowedIpRanges.length > 0) {
      const allowed = new CfnIPSet(this, 'AllowedIpRanges', { scope: 'REGIONAL', ipAddressVersion: 'IPV4', addresses: [...props.allowedIpRanges] });
      rules.push({
        name: 'BlockOutsideAllowedIpRanges',
        action: { block: {} },
        statement: { notStatement: { statement: { ipSetReferenceStatement: { arn: allowed.attrArn } } } },
        visibilityConfig: visibility('outside-allowed-ip-ranges'),
      });
    }
    if (props.allowedCountries.length > 0) {
      rules.push({
        name: 'BlockOutsideAllowedCountries',
        action: { block: {} },
        statement: { notStatement: { statement: { geoMatchStatement: { countryCodes: [...props.allowedCountries] } } } },
        visibilityConfig: visibility('outside-allowed-countries'),
      });
    }
    rules.push(
      {
        name: 'RateLimitPerIp',
        action: blockWith('throttled'),
        statement: { rateBasedStatement: { limit: props.rateLimitPer5Minutes, aggregateKeyType: 'IP' } },
        visibilityConfig: visibility('rate-limit-per-ip'),
      },
      {
        // WAF sees at most the first 16-64 KB of a body, so a size constraint on the body itself cannot
        // apply a 4 MiB limit: with oversizeHandling MATCH it would block every body over 16 KB (most
        // Bundles), with CONTINUE or NO_MATCH it could never match. The declared Content-Length is the
        // body's size (HTTP framing), and WAF reads it whole. A chunked body has none: the function's 413 applies.
        name: 'BodyOverApiLimit',
        action: blockWith('tooLarge'),
        statement: {
          regexMatchStatement: {
            fieldToMatch: { singleHeader: { Name: 'content-length' } },
            regexString: decimalAbovePattern(props.maxBodyBytes),
            textTransformations: [{ priority: 0, type: 'NONE' }],
          },
        },
        visibilityConfig: visibility('body-over-api-limit'),
      },
      ...managedGroups.map((group) => ({
        name: group.name,
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
    );

    this.webAcl = new CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility(this.metricName),
      // The managed groups inspect the first 16 KB of a body (API Gateway's default, stated here): a
      // larger FHIR body is inspected in part, then the functions' strict parsing and validation apply.
      associationConfig: { requestBody: { API_GATEWAY: { defaultSizeInspectionLimit: 'KB_16' } } },
      // Web ACL level, so it covers sampled requests (kept by sampledRequestsEnabled) as well as the logs:
      // bearer tokens and session cookies are replaced by REDACTED wherever WAF keeps a request.
      dataProtectionConfig: {
        dataProtections: [{ action: 'SUBSTITUTION', field: { fieldType: 'SINGLE_HEADER', fieldKeys: [...protectedHeaders] } }],
      },
      customResponseBodies: Object.fromEntries(
        Object.entries(customResponses).map(([key, response]) => [key, { contentType: 'APPLICATION_JSON', content: gatewayResponseBody(response) }]),
      ),
      rules: rules.map((rule, priority) => ({ ...rule, priority })),
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
      // Redundant with the data protection above, and kept: logs must never hold a bearer token.
      redactedFields: protectedHeaders.map((name) => ({ singleHeader: { Name: name } })),
    });
  }
}
