import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Key } from 'aws-cdk-lib/aws-kms';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveStageConfig } from '../../lib/config';
import { patientDataRoles } from '../../lambdas/access/duties';
import { AuthStack } from '../../lib/stacks/auth-stack';

/** The app client properties the tests read, as CloudFormation names them. */
interface ClientProperties {
  readonly ExplicitAuthFlows?: readonly string[];
  readonly AllowedOAuthFlows?: readonly string[];
  readonly AllowedOAuthScopes?: readonly unknown[];
  readonly GenerateSecret?: boolean;
  readonly ReadAttributes?: readonly string[];
  readonly WriteAttributes?: readonly string[];
}

const stageBase = { region: 'ca-central-1', authDomainPrefix: 'dsc-test', oauthCallbackUrls: ['https://app.example.org/cb'], oauthLogoutUrls: ['https://app.example.org/bye'] };

/** The auth stack of one stage, alone: its inputs from the security stack stand in a support stack. */
function synthAuth(stage: Record<string, unknown>, withAlarmTopic = true): { stack: AuthStack; template: Template } {
  const app = new App();
  const env = { account: '111111111111', region: 'ca-central-1' };
  const security = new Stack(app, 'Security', { env });
  const config = resolveStageConfig('test', { test: { ...stageBase, ...stage } });
  const stack = new AuthStack(app, 'Auth', {
    env,
    config,
    logRetention: RetentionDays.ONE_YEAR,
    logsKey: new Key(security, 'LogsKey'),
    alarmTopic: withAlarmTopic ? new Topic(security, 'AlarmTopic') : undefined,
  });
  return { stack, template: Template.fromStack(stack) };
}

function clientsOf(template: Template): Record<string, ClientProperties> {
  const resources = template.findResources('AWS::Cognito::UserPoolClient') as Record<string, { readonly Properties: ClientProperties }>;
  return Object.fromEntries(Object.entries(resources).map(([id, resource]) => [id, resource.Properties]));
}

function clientNamed(template: Template, prefix: string): ClientProperties {
  const matches = Object.entries(clientsOf(template)).filter(([id]) => id.startsWith(`StaffPool${prefix}`));
  expect(matches, prefix).toHaveLength(1);
  return matches[0]?.[1] ?? {};
}

/** The custom scope names a client may request: `{ Fn::Join: ['', [{ Ref: resource server }, '/fhir.read']] }` → dsc-fhir/fhir.read. */
function scopeNames(client: ClientProperties): string[] {
  return (client.AllowedOAuthScopes ?? []).map((scope) => {
    if (typeof scope === 'string') return scope;
    const parts = (scope as { 'Fn::Join': [string, [{ Ref: string }, string]] })['Fn::Join'][1];
    expect(parts[0].Ref).toMatch(/^FhirResourceServer/);
    return `dsc-fhir${parts[1]}`;
  });
}

const production = {
  production: true,
  auth: {
    signIn: 'password-mfa',
    secondFactors: ['totp', 'email'],
    sesFromAddress: 'no-reply@dsc.example.org',
    featurePlan: 'plus',
    threatProtection: 'enforced',
    accessTokenMinutes: 30,
    refreshTokenHours: 10,
    userPoolWebAcl: true,
  },
};
const development = {};
const passwordless = { auth: { signIn: 'email-otp', secondFactors: ['totp'], sesFromAddress: 'no-reply@dsc.example.org', featurePlan: 'essentials', userPoolWebAcl: false } };

let prod: ReturnType<typeof synthAuth>;
let dev: ReturnType<typeof synthAuth>;
let emailOtp: ReturnType<typeof synthAuth>;

beforeAll(() => {
  prod = synthAuth(production);
  dev = synthAuth(development);
  emailOtp = synthAuth(passwordless, false);
});

describe('auth stack: the user pool', () => {
  it('keeps the logical id of the user pool (a change would replace it, and every account with it)', () => {
    for (const { template } of [prod, dev, emailOtp]) expect(Object.keys(template.findResources('AWS::Cognito::UserPool'))).toEqual(['StaffPool2454FE40']);
  });

  it('makes the case-insensitive email the username, lets only administrators create accounts, and protects the pool from deletion', () => {
    prod.template.hasResourceProperties('AWS::Cognito::UserPool', {
      UsernameAttributes: ['email'],
      UsernameConfiguration: { CaseSensitive: false },
      AdminCreateUserConfig: Match.objectLike({ AllowAdminCreateUserOnly: true }),
      DeletionProtection: 'ACTIVE',
    });
    expect(prod.template.findResources('AWS::Cognito::UserPool').StaffPool2454FE40).toMatchObject({ DeletionPolicy: 'Retain' });
  });

  it('invites staff in French and in English, with the username and temporary password in both', () => {
    const pool = Object.values(prod.template.findResources('AWS::Cognito::UserPool'))[0] as {
      Properties: { AdminCreateUserConfig: { InviteMessageTemplate: { EmailSubject: string; EmailMessage: string } } };
    };
    const { EmailSubject: subject, EmailMessage: body } = pool.Properties.AdminCreateUserConfig.InviteMessageTemplate;
    expect(subject).toMatch(/Votre accès.*Your .*access/);
    const [french, english] = body.split('Hello,');
    expect(french).toMatch(/Bonjour.*Identifiant : \{username\}.*Mot de passe temporaire : \{####\}/);
    expect(english).toMatch(/Username: \{username\}.*Temporary password: \{####\}/);
  });

  it('applies a strong password policy and recovers accounts by email only', () => {
    prod.template.hasResourceProperties('AWS::Cognito::UserPool', {
      Policies: Match.objectLike({
        PasswordPolicy: Match.objectLike({ MinimumLength: 14, RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: true, PasswordHistorySize: 12 }),
      }),
      AccountRecoverySetting: { RecoveryMechanisms: [{ Name: 'verified_email', Priority: 1 }] },
    });
  });

  it('keeps the current email until a new one is verified', () => {
    prod.template.hasResourceProperties('AWS::Cognito::UserPool', {
      Schema: Match.arrayWith([{ Name: 'email', Required: true, Mutable: true }]),
      UserAttributeUpdateSettings: { AttributesRequireVerificationBeforeUpdate: ['email'] },
    });
  });

  it('holds the linked Practitioner in a custom attribute', () => {
    prod.template.hasResourceProperties('AWS::Cognito::UserPool', {
      Schema: Match.arrayWith([Match.objectLike({ Name: 'practitioner', AttributeDataType: 'String', Mutable: true })]),
    });
  });
});

describe('auth stack: sign-in policy per stage', () => {
  it('requires a second factor after the password in production: TOTP or an email code sent through SES, on the Plus plan with threat protection enforced', () => {
    prod.template.hasResourceProperties('AWS::Cognito::UserPool', {
      MfaConfiguration: 'ON',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA', 'EMAIL_OTP'],
      EmailConfiguration: Match.objectLike({ EmailSendingAccount: 'DEVELOPER', From: 'DSC <no-reply@dsc.example.org>' }),
      UserPoolTier: 'PLUS',
      UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' },
    });
  });

  it('requires TOTP by default, on the Essentials plan, without threat protection or passwordless sign-in', () => {
    dev.template.hasResourceProperties('AWS::Cognito::UserPool', {
      MfaConfiguration: 'ON',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      UserPoolTier: 'ESSENTIALS',
      UserPoolAddOns: Match.absent(),
      Policies: Match.objectLike({ SignInPolicy: Match.absent() }),
    });
  });

  it('offers the passwordless email code as a first factor where the stage chooses it, with MFA optional', () => {
    emailOtp.template.hasResourceProperties('AWS::Cognito::UserPool', {
      MfaConfiguration: 'OPTIONAL',
      Policies: Match.objectLike({ SignInPolicy: { AllowedFirstAuthFactors: ['PASSWORD', 'EMAIL_OTP'] } }),
      EmailConfiguration: Match.objectLike({ EmailSendingAccount: 'DEVELOPER' }),
    });
  });

  it('sets access, ID and refresh token lifetimes from the config', () => {
    prod.template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      AllowedOAuthFlows: ['code'],
      AccessTokenValidity: 30,
      IdTokenValidity: 30,
      RefreshTokenValidity: 600,
      TokenValidityUnits: { AccessToken: 'minutes', IdToken: 'minutes', RefreshToken: 'minutes' },
    });
    dev.template.hasResourceProperties('AWS::Cognito::UserPoolClient', { AllowedOAuthFlows: ['code'], AccessTokenValidity: 60, RefreshTokenValidity: 720 });
  });
});

describe('auth stack: app clients', () => {
  it('has no USER_PASSWORD_AUTH anywhere in a production synth, and no password test client', () => {
    expect(JSON.stringify(prod.template.toJSON())).not.toContain('USER_PASSWORD_AUTH');
    expect(Object.keys(clientsOf(prod.template)).sort()).toEqual([expect.stringMatching(/^StaffPoolIntegrationClient/), expect.stringMatching(/^StaffPoolWebClient/)]);
    expect(prod.stack.apiClients).toHaveLength(2);
  });

  it('gives non-production stages a password client for scripts and tests, whose tokens the API accepts', () => {
    const testClient = clientNamed(dev.template, 'PasswordTestClient');
    expect(testClient.ExplicitAuthFlows).toEqual(['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH']);
    expect(testClient.AllowedOAuthFlows).toBeUndefined();
    expect(testClient.GenerateSecret).toBe(false);
    expect(dev.stack.apiClients.map((client) => client.node.id)).toEqual(['WebClient', 'IntegrationClient', 'PasswordTestClient']);
  });

  it('gives browser apps a public client: authorization code only, choice-based and SRP sign-in, callbacks from the config', () => {
    const web = clientNamed(prod.template, 'WebClient');
    expect(web).toMatchObject({ GenerateSecret: false, AllowedOAuthFlows: ['code'] });
    expect(new Set(web.ExplicitAuthFlows)).toEqual(new Set(['ALLOW_USER_AUTH', 'ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH']));
    expect(scopeNames(web)).toEqual(['openid', 'email', 'profile', 'dsc-fhir/fhir.read', 'dsc-fhir/fhir.write', 'dsc-fhir/audit.read', 'dsc-fhir/staff.admin']);
    prod.template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      AllowedOAuthFlows: ['code'],
      CallbackURLs: ['https://app.example.org/cb'],
      LogoutURLs: ['https://app.example.org/bye'],
      PreventUserExistenceErrors: 'ENABLED',
      EnableTokenRevocation: true,
    });
  });

  it('gives integrations client credentials with a secret and only the FHIR read and write scopes, and no user sign-in', () => {
    const integration = clientNamed(prod.template, 'IntegrationClient');
    expect(integration).toMatchObject({ GenerateSecret: true, AllowedOAuthFlows: ['client_credentials'], ExplicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH'] });
    expect(scopeNames(integration)).toEqual(['dsc-fhir/fhir.read', 'dsc-fhir/fhir.write']);
  });

  it("lets no client request Cognito's admin scope, write the email or the Practitioner link, or read every attribute", () => {
    for (const { template } of [prod, dev]) {
      for (const [id, client] of Object.entries(clientsOf(template))) {
        expect(scopeNames(client), id).not.toContain('aws.cognito.signin.user.admin');
        // An empty list would mean every attribute to Cognito.
        expect(client.WriteAttributes, id).toEqual(['locale']);
        expect(client.ReadAttributes, id).toEqual(expect.arrayContaining(['email', 'custom:practitioner']));
      }
    }
  });
});

describe('auth stack: tokens, alerts and protection', () => {
  it('customizes access tokens with a V2_0 pre-token-generation trigger that Cognito may invoke', () => {
    const [functionId] = Object.keys(prod.template.findResources('AWS::Lambda::Function'));
    expect(functionId).toMatch(/^PreTokenGenerationFunction/);
    prod.template.hasResourceProperties('AWS::Cognito::UserPool', {
      LambdaConfig: { PreTokenGenerationConfig: { LambdaArn: { 'Fn::GetAtt': [functionId, 'Arn'] }, LambdaVersion: 'V2_0' } },
    });
    prod.template.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'cognito-idp.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [functionId, 'Arn'] },
      SourceArn: { 'Fn::GetAtt': ['StaffPool2454FE40', 'Arn'] },
    });
  });

  it("alerts the operators' topic when an administrator adds a staff account to a group of this pool that sees patient data", () => {
    // Every clinical and care role, and the two that see patients for their duty; never the user administrator.
    expect([...patientDataRoles].sort()).toEqual(['allied-health', 'clerk', 'integration', 'nurse', 'physician', 'privacy-officer', 'social-worker']);
    prod.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.cognito-idp'],
        'detail-type': ['AWS API Call via CloudTrail'],
        detail: {
          eventSource: ['cognito-idp.amazonaws.com'],
          eventName: ['AdminAddUserToGroup'],
          requestParameters: { userPoolId: [{ Ref: 'StaffPool2454FE40' }], groupName: [...patientDataRoles] },
        },
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::ImportValue': Match.stringLikeRegexp('AlarmTopic') }, InputTransformer: Match.anyValue() })],
    });
  });

  it('puts a blocking WAF web ACL on the user pool when the stage asks for one', () => {
    prod.template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', { ResourceArn: { 'Fn::GetAtt': ['StaffPool2454FE40', 'Arn'] } });
    const [acl] = Object.values(prod.template.findResources('AWS::WAFv2::WebACL')) as { Properties: { Scope: string; Rules: { Name: string; Action?: unknown; OverrideAction?: unknown; Statement: Record<string, unknown> }[] } }[];
    expect(acl?.Properties.Scope).toBe('REGIONAL');
    const rules = acl?.Properties.Rules ?? [];
    expect(rules.map((rule) => rule.Name)).toEqual(['RateLimitPerIp', 'AWSManagedRulesCommonRuleSet', 'AWSManagedRulesKnownBadInputsRuleSet', 'AWSManagedRulesAmazonIpReputationList']);
    expect(rules[0]).toMatchObject({ Action: { Block: {} }, Statement: { RateBasedStatement: { AggregateKeyType: 'IP' } } });
    for (const rule of rules.slice(1)) expect(rule.OverrideAction, rule.Name).toEqual({ None: {} });
    prod.template.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', { RedactedFields: [{ SingleHeader: { Name: 'authorization' } }] });
    emailOtp.template.resourceCountIs('AWS::WAFv2::WebACL', 0);
    emailOtp.template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 0);
  });

  it('serves managed login (version 2) on the sign-in domain, with a branding style for the web client', () => {
    prod.template.hasResourceProperties('AWS::Cognito::UserPoolDomain', { Domain: 'dsc-test', ManagedLoginVersion: 2 });
    const [webClientId] = Object.keys(clientsOf(prod.template)).filter((id) => id.startsWith('StaffPoolWebClient'));
    prod.template.hasResourceProperties('AWS::Cognito::ManagedLoginBranding', { ClientId: { Ref: webClientId }, UseCognitoProvidedValues: true });
  });
});
