import { ArnFormat, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import {
  AccountRecovery,
  CfnManagedLoginBranding,
  type CfnUserPool,
  CfnUserPoolGroup,
  ClientAttributes,
  FeaturePlan,
  LambdaVersion,
  ManagedLoginVersion,
  Mfa,
  OAuthScope,
  ResourceServerScope,
  StandardThreatProtectionMode,
  StringAttribute,
  UserPool,
  UserPoolClient,
  UserPoolEmail,
  UserPoolOperation,
  UserPoolResourceServer,
  VerificationEmailStyle,
  type UserPoolClientOptions,
} from 'aws-cdk-lib/aws-cognito';
import { EventField, Rule, RuleTargetInput } from 'aws-cdk-lib/aws-events';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { CfnLoggingConfiguration, CfnWebACL, CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import type { Construct } from 'constructs';
import { patientDataRoles } from '../../lambdas/access/duties';
import { roleDescriptions, roles } from '../../lambdas/access/roles';
import { customScopes, practitionerAttribute, resourceServerIdentifier, type AccessLevel } from '../../lambdas/contracts/auth';
import { preTokenGeneration } from '../../lambdas/contracts/functions';
import type { StageConfig } from '../config';
import { DscFunction } from '../constructs/dsc-function';
import { acknowledgeNagFinding } from '../nag/acknowledge';

export interface AuthStackProps extends StackProps {
  readonly config: StageConfig;
  readonly logRetention: RetentionDays;
  /** Encrypts the trigger's and the sign-in web ACL's log groups (the security stack's logs key). */
  readonly logsKey: IKey;
  /** The operators' alarm topic; it must let this account's EventBridge rules publish. */
  readonly alarmTopic?: ITopic;
}


const temporaryPasswordDays = 3;

/** Administrators create every account; the invitation speaks both official languages of the network. */
const invitation = {
  emailSubject: 'Votre accès au DSC / Your DSC access',
  emailBody: [
    'Bonjour,<br>Votre compte au Dossier de santé connecté (DSC) est créé.',
    `Identifiant : {username}<br>Mot de passe temporaire : {####}<br>Il expire dans ${temporaryPasswordDays} jours; à la première connexion, vous choisirez votre mot de passe.`,
    '<br>Hello,<br>Your account for the connected health record (DSC) has been created.',
    `Username: {username}<br>Temporary password: {####}<br>It expires in ${temporaryPasswordDays} days; you will choose your password when you first sign in.`,
  ].join('<br>'),
};

const featurePlans = { essentials: FeaturePlan.ESSENTIALS, plus: FeaturePlan.PLUS } as const;
const threatProtectionModes = { audit: StandardThreatProtectionMode.AUDIT_ONLY, enforced: StandardThreatProtectionMode.FULL_FUNCTION } as const;

/** Staff identity: an email-named user pool, one group per role, the app clients and what guards them. */
export class AuthStack extends Stack {
  readonly userPool: UserPool;
  /** The browser apps' client (authorization code with PKCE, single sign-on across the network's apps). */
  readonly webClient: UserPoolClient;
  /** Every app client whose access tokens the API accepts. */
  readonly apiClients: readonly UserPoolClient[];

  constructor(scope: Construct, id: string, props: AuthStackProps) {
    super(scope, id, { ...props, terminationProtection: true });
    const { config } = props;
    const { auth } = config;

    this.userPool = new UserPool(this, 'StaffPool', {
      // The email address is the username; accounts are created by administrators only.
      signInAliases: { email: true },
      signInCaseSensitive: false,
      selfSignUpEnabled: false,
      userInvitation: invitation,
      // The code that confirms a changed address, in both languages too.
      userVerification: {
        emailStyle: VerificationEmailStyle.CODE,
        emailSubject: 'Vérifiez votre adresse courriel au DSC / Verify your DSC email address',
        emailBody: 'Votre code de vérification DSC : {####}<br>Your DSC verification code: {####}',
      },
      autoVerify: { email: true },
      // Email stays mutable: Cognito cannot change an existing attribute's mutability without replacing
      // the pool (and every account), and administrators correct addresses. A new address takes effect
      // only once verified; no app client may write it, and no staff token may call Cognito's user API.
      standardAttributes: { email: { required: true, mutable: true } },
      keepOriginal: { email: true },
      // Written by the staff administration API only (see the clients' writeAttributes).
      customAttributes: { [practitionerAttribute.replace(/^custom:/, '')]: new StringAttribute({ mutable: true, minLen: 1, maxLen: 100 }) },
      passwordPolicy: {
        minLength: 14,
        requireDigits: true,
        requireLowercase: true,
        requireUppercase: true,
        requireSymbols: true,
        passwordHistorySize: 12,
        tempPasswordValidity: Duration.days(temporaryPasswordDays),
      },
      // Cognito cannot require MFA when a passwordless first factor is allowed (docs/decisions.md, "Staff sign-in").
      mfa: auth.signIn === 'password-mfa' ? Mfa.REQUIRED : Mfa.OPTIONAL,
      mfaSecondFactor: { otp: auth.secondFactors.includes('totp'), email: auth.secondFactors.includes('email'), sms: false },
      signInPolicy: auth.signIn === 'email-otp' ? { allowedFirstAuthFactors: { password: true, emailOtp: true } } : undefined,
      email: auth.sesFromAddress === undefined ? undefined : UserPoolEmail.withSES({ fromEmail: auth.sesFromAddress, fromName: 'DSC' }),
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      featurePlan: featurePlans[auth.featurePlan],
      standardThreatProtectionMode: auth.threatProtection === 'off' ? undefined : threatProtectionModes[auth.threatProtection],
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // A production stage on Essentials keeps the finding, and fails the synth.
    if (auth.featurePlan === 'essentials' && !config.production) {
      acknowledgeNagFinding(
        this.userPool.node.defaultChild as CfnUserPool,
        'AwsSolutions-COG8',
        'a non-production stage on the Essentials plan, for test staff accounts only: production stages run Plus with threat protection enforced, or this finding fails their synth',
      );
    }

    // Access tokens get the scopes of the user's roles, and lose Cognito's own sign-in scope.
    const tokenTrigger = new DscFunction(this, preTokenGeneration.id, {
      definition: preTokenGeneration,
      environment: {},
      logRetention: props.logRetention,
      logsKey: props.logsKey,
      unreservedBecause:
        'Cognito invokes it once per token it issues, so its rate is bounded by Cognito\'s sign-in and refresh quotas; it touches no table, and a reservation small enough to matter would refuse staff sign-ins at peak',
    });
    this.userPool.addTrigger(UserPoolOperation.PRE_TOKEN_GENERATION_CONFIG, tokenTrigger.function, LambdaVersion.V2_0);

    // Group names are the role names tokens carry in cognito:groups, so they are fixed.
    roles.forEach((role, precedence) => {
      new CfnUserPoolGroup(this, `Group-${role}`, { userPoolId: this.userPool.userPoolId, groupName: role, description: roleDescriptions[role], precedence });
    });

    const scopes = Object.fromEntries(
      Object.entries(customScopes).map(([level, name]) => [level, new ResourceServerScope({ scopeName: name, scopeDescription: `FHIR API ${name}` })]),
    ) as Record<AccessLevel, ResourceServerScope>;
    const resourceServer = new UserPoolResourceServer(this, 'FhirResourceServer', {
      userPool: this.userPool,
      identifier: resourceServerIdentifier,
      scopes: Object.values(scopes),
    });
    const apiScopes = (levels: readonly AccessLevel[]) => levels.map((level) => OAuthScope.resourceServer(resourceServer, scopes[level]));

    const staffClient: UserPoolClientOptions = {
      readAttributes: new ClientAttributes()
        .withStandardAttributes({ email: true, emailVerified: true, givenName: true, familyName: true, locale: true })
        .withCustomAttributes(practitionerAttribute),
      // Cognito reads an empty list as "every attribute", so the one attribute a user may set is named:
      // their language. Email and the Practitioner link are the administrators' alone.
      writeAttributes: new ClientAttributes().withStandardAttributes({ locale: true }),
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      accessTokenValidity: Duration.minutes(auth.accessTokenMinutes),
      idTokenValidity: Duration.minutes(auth.accessTokenMinutes),
      refreshTokenValidity: Duration.hours(auth.refreshTokenHours),
    };

    this.webClient = this.userPool.addClient('WebClient', {
      ...staffClient,
      generateSecret: false,
      // Choice-based sign-in (USER_AUTH: password or email code, then MFA) and SRP; never the USER_PASSWORD_AUTH flow.
      authFlows: { user: true, userSrp: true },
      oAuth: {
        flows: { authorizationCodeGrant: true },
        // The trigger keeps only the API scopes the user's roles grant; Cognito's admin scope is not offered.
        scopes: [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE, ...apiScopes(['read', 'write', 'audit', 'admin'])],
        callbackUrls: config.oauthCallbackUrls,
        logoutUrls: config.oauthLogoutUrls.length > 0 ? config.oauthLogoutUrls : undefined,
      },
    });

    const integrationClient = this.userPool.addClient('IntegrationClient', {
      generateSecret: true,
      // No user signs in through it: a named, empty set of user flows (Cognito's default would allow SRP).
      authFlows: { user: false, userSrp: false, userPassword: false },
      oAuth: { flows: { clientCredentials: true }, scopes: apiScopes(['read', 'write']) },
      readAttributes: staffClient.readAttributes,
      writeAttributes: staffClient.writeAttributes,
      enableTokenRevocation: true,
      accessTokenValidity: staffClient.accessTokenValidity,
    });

    // Scripts and end-to-end tests sign in with a password; production has no such client at all.
    const testClient = config.production ? undefined : this.userPool.addClient('PasswordTestClient', { ...staffClient, generateSecret: false, authFlows: { userPassword: true }, disableOAuth: true });
    this.apiClients = [this.webClient, integrationClient, ...(testClient ? [testClient] : [])];

    const domain = this.userPool.addDomain('SignInDomain', {
      cognitoDomain: { domainPrefix: config.authDomainPrefix },
      managedLoginVersion: ManagedLoginVersion.NEWER_MANAGED_LOGIN,
    });
    // Managed login shows an app client's pages only once it has a branding style: Cognito's own, in French or English (?lang=).
    new CfnManagedLoginBranding(this, 'WebClientBranding', { userPoolId: this.userPool.userPoolId, clientId: this.webClient.userPoolClientId, useCognitoProvidedValues: true });

    this.announceCareGroupAdditions(props.alarmTopic);
    if (auth.userPoolWebAcl) this.protectSignIn(config.wafRateLimitPer5Minutes, props.logRetention, props.logsKey);

    new CfnOutput(this, 'UserPoolId', { value: this.userPool.userPoolId });
    new CfnOutput(this, 'WebClientId', { value: this.webClient.userPoolClientId });
    new CfnOutput(this, 'IntegrationClientId', { value: integrationClient.userPoolClientId });
    if (testClient) new CfnOutput(this, 'PasswordTestClientId', { value: testClient.userPoolClientId });
    new CfnOutput(this, 'SignInUrl', { value: domain.baseUrl() });
  }

  /** An alarm whenever an administrator adds an account to a care group (CloudTrail's record of the admin API call). */
  private announceCareGroupAdditions(alarmTopic: ITopic | undefined): void {
    const rule = new Rule(this, 'CareGroupAdditionRule', {
      description: 'A staff account was added to a care group: check it holds no user-admin or privacy-officer role',
      eventPattern: {
        source: ['aws.cognito-idp'],
        detailType: ['AWS API Call via CloudTrail'],
        detail: {
          eventSource: ['cognito-idp.amazonaws.com'],
          eventName: ['AdminAddUserToGroup'],
          requestParameters: { userPoolId: [this.userPool.userPoolId], groupName: [...patientDataRoles] },
        },
      },
    });
    if (alarmTopic === undefined) return;
    const message = RuleTargetInput.fromObject({
      alarm: 'Staff account added to a care group',
      group: EventField.fromPath('$.detail.requestParameters.groupName'),
      userPoolId: EventField.fromPath('$.detail.requestParameters.userPoolId'),
      by: EventField.fromPath('$.detail.userIdentity.arn'),
      at: EventField.time,
    });
    // The alarm topic already lets this account's EventBridge rules publish (and use its key): no grant here,
    // which would edit the security stack's topic policy from this stack.
    rule.addTarget({ bind: () => ({ arn: alarmTopic.topicArn, input: message }) });
  }

  /**
   * A regional web ACL on the user pool's sign-in endpoints (managed login and the public API). Not
   * the API's FhirWebAcl: its exceptions (large bodies, XHTML narratives) are FHIR's, not Cognito's,
   * and its metrics would mix with the API's.
   */
  private protectSignIn(rateLimitPer5Minutes: number, logRetention: RetentionDays, logsKey: IKey): void {
    const visibility = (metricName: string) => ({ cloudWatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName });
    const managedGroups = ['AWSManagedRulesCommonRuleSet', 'AWSManagedRulesKnownBadInputsRuleSet', 'AWSManagedRulesAmazonIpReputationList'];
    const webAcl = new CfnWebACL(this, 'SignInWebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('dsc-staff-sign-in'),
      // Client secrets (Basic authorization on the token endpoint) and session cookies never kept.
      dataProtectionConfig: { dataProtections: [{ action: 'SUBSTITUTION', field: { fieldType: 'SINGLE_HEADER', fieldKeys: ['authorization', 'cookie'] } }] },
      rules: [
        {
          name: 'RateLimitPerIp',
          priority: 0,
          action: { block: {} },
          statement: { rateBasedStatement: { limit: rateLimitPer5Minutes, aggregateKeyType: 'IP' } },
          visibilityConfig: visibility('staff-sign-in-rate-limit-per-ip'),
        },
        ...managedGroups.map((name, index) => ({
          name,
          priority: index + 1,
          overrideAction: { none: {} }, // keep the group's own block actions
          statement: { managedRuleGroupStatement: { vendorName: 'AWS', name } },
          visibilityConfig: visibility(`staff-sign-in-${name}`),
        })),
      ],
    });
    new CfnWebACLAssociation(this, 'SignInWebAclAssociation', { resourceArn: this.userPool.userPoolArn, webAclArn: webAcl.attrArn });

    // WAF requires its log group name to start with aws-waf-logs-.
    const logGroup = new LogGroup(this, 'SignInWebAclLogs', { logGroupName: `aws-waf-logs-${this.node.addr}`, retention: logRetention, encryptionKey: logsKey, removalPolicy: RemovalPolicy.RETAIN });
    new CfnLoggingConfiguration(this, 'SignInWebAclLogging', {
      resourceArn: webAcl.attrArn,
      logDestinationConfigs: [this.formatArn({ service: 'logs', resource: 'log-group', resourceName: logGroup.logGroupName, arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
      redactedFields: [{ singleHeader: { Name: 'authorization' } }],
    });
  }
}
