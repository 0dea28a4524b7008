import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import {
  AccountRecovery,
  CfnUserPoolGroup,
  Mfa,
  OAuthScope,
  ResourceServerScope,
  UserPool,
  UserPoolClient,
  UserPoolResourceServer,
} from 'aws-cdk-lib/aws-cognito';
import type { Construct } from 'constructs';
import { roleDescriptions, roles } from '../../lambdas/access/roles';
import { customScopes, resourceServerIdentifier } from '../../lambdas/contracts/auth';
import type { StageConfig } from '../config';

export interface AuthStackProps extends StackProps {
  readonly config: StageConfig;
}

/** Staff identity: an email-named user pool, one group per role, and the app clients. */
export class AuthStack extends Stack {
  readonly userPool: UserPool;
  /** The browser/staff app client whose access tokens the API accepts. */
  readonly webClient: UserPoolClient;

  constructor(scope: Construct, id: string, props: AuthStackProps) {
    super(scope, id, { ...props, terminationProtection: true });
    const { config } = props;

    this.userPool = new UserPool(this, 'StaffPool', {
      // The email address is the username; accounts are created by administrators only.
      signInAliases: { email: true },
      signInCaseSensitive: false,
      selfSignUpEnabled: false,
      autoVerify: { email: true },
      standardAttributes: { email: { required: true, mutable: true } },
      userInvitation: {
        emailSubject: 'Votre accès au DSC / Your DSC access',
        emailBody: 'Bonjour, votre compte DSC est créé. Identifiant : {username} — mot de passe temporaire : {####}',
      },
      passwordPolicy: { minLength: 14, requireDigits: true, requireLowercase: true, requireUppercase: true, requireSymbols: true, tempPasswordValidity: Duration.days(3) },
      mfa: Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // Group names are the role names tokens carry in cognito:groups, so they are fixed.
    roles.forEach((role, precedence) => {
      new CfnUserPoolGroup(this, `Group-${role}`, { userPoolId: this.userPool.userPoolId, groupName: role, description: roleDescriptions[role], precedence });
    });

    const scopes = Object.values(customScopes).map((name) => new ResourceServerScope({ scopeName: name, scopeDescription: `FHIR API ${name}` }));
    const resourceServer = new UserPoolResourceServer(this, 'FhirResourceServer', {
      userPool: this.userPool,
      identifier: resourceServerIdentifier,
      scopes,
    });

    this.webClient = this.userPool.addClient('WebClient', {
      generateSecret: false,
      authFlows: { user: true, userSrp: true, userPassword: true },
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE, OAuthScope.COGNITO_ADMIN, ...scopes.map((scope) => OAuthScope.resourceServer(resourceServer, scope))],
        callbackUrls: config.oauthCallbackUrls,
        logoutUrls: config.oauthLogoutUrls.length > 0 ? config.oauthLogoutUrls : undefined,
      },
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.hours(12),
    });

    const domain = this.userPool.addDomain('SignInDomain', { cognitoDomain: { domainPrefix: config.authDomainPrefix } });

    new CfnOutput(this, 'UserPoolId', { value: this.userPool.userPoolId });
    new CfnOutput(this, 'WebClientId', { value: this.webClient.userPoolClientId });
    new CfnOutput(this, 'SignInUrl', { value: domain.baseUrl() });
  }
}
