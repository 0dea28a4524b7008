import { z } from 'zod';

/**
 * Typed stage configuration. It is read once, in bin/, from the `stages` context of
 * cdk.json and the `-c stage=<name>` option, and validated here so a bad value fails synth
 * with a message naming the field.
 */
const canadianRegions = ['ca-central-1', 'ca-west-1'] as const;

/** Plain-http localhost (any port): a developer's machine. Parsed, so http://localhost.example.org is not one. */
function isLocalhost(url: string): boolean {
  if (!URL.canParse(url)) return false;
  const { protocol, hostname } = new URL(url);
  return protocol === 'http:' && hostname === 'localhost';
}

export const stageConfigSchema = z
  .object({
    /** 12-digit AWS account; omit to deploy into the account of the current credentials. */
    account: z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id').optional(),
    /** Health data stays in Canada; ca-west-1 is the natural disaster-recovery region. */
    region: z.enum(canadianRegions, { message: `must be a Canadian region: ${canadianRegions.join(' or ')}` }).default('ca-central-1'),
    /** Prefix of the Cognito hosted sign-in domain (<prefix>.auth.<region>.amazoncognito.com); globally unique. */
    authDomainPrefix: z
      .string()
      .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'must be lower-case letters, digits and hyphens')
      .refine((prefix) => !/aws|amazon|cognito/.test(prefix), 'may not contain aws, amazon or cognito'),
    /**
     * A production stage: real patients. It refuses http://localhost callbacks and origins, and its
     * trail bucket's Object Lock is COMPLIANCE (no one, not even root, can shorten it) instead of GOVERNANCE.
     */
    production: z.boolean().default(false),
    /** Where browser apps may receive authorization codes (HTTPS, or http://localhost for development). */
    oauthCallbackUrls: z.array(z.url().refine((url) => url.startsWith('https://') || isLocalhost(url), 'must be https (or http://localhost)')).min(1),
    oauthLogoutUrls: z.array(z.url()).default([]),
    /** Browser origins allowed to call the API (scheme://host[:port]); empty turns CORS off. */
    corsAllowedOrigins: z
      .array(z.string().regex(/^(https:\/\/[a-z0-9.-]+|http:\/\/localhost)(:\d{1,5})?$/, 'must be an origin: https://host[:port] (or http://localhost[:port]), no path'))
      .default([]),
    /** Days to keep function, API and WAF logs; audit data lives in DynamoDB and CloudTrail, not here. */
    logRetentionDays: z.union([z.literal(90), z.literal(180), z.literal(365), z.literal(731), z.literal(1827), z.literal(3653)]).default(365),
    /** WAF limit per client IP over a 5-minute window. */
    wafRateLimitPer5Minutes: z.number().int().min(100).max(2_000_000_000).default(3000),
    /** API Gateway stage throttling. */
    throttle: z.object({ rateLimit: z.number().positive(), burstLimit: z.number().int().positive() }).default({ rateLimit: 200, burstLimit: 400 }),
    /** Staff sign-in (Cognito). See docs/decisions.md for the MFA versus passwordless trade-off. */
    auth: z
      .object({
        /**
         * `password-mfa`: password plus a required second factor (production default).
         * `email-otp`: passwordless email one-time code (choice-based USER_AUTH); MFA becomes optional,
         * because Cognito cannot require MFA with passwordless first factors.
         */
        signIn: z.enum(['password-mfa', 'email-otp']).default('password-mfa'),
        /** Second factors offered with `password-mfa`; `email` needs the Essentials plan and SES (sesFromAddress). */
        secondFactors: z.array(z.enum(['totp', 'email'])).min(1).default(['totp']),
        /** Verified SES identity Cognito sends from (email codes, invitations); required for email MFA and email-otp. */
        sesFromAddress: z.email().optional(),
        /** Cognito feature plan: threat protection needs `plus`. */
        featurePlan: z.enum(['essentials', 'plus']).default('essentials'),
        /** Adaptive authentication and compromised-credential detection (plan `plus` only). */
        threatProtection: z.enum(['off', 'audit', 'enforced']).default('off'),
        /** Access-token lifetime; the default fits a clinical shift with silent refresh. */
        accessTokenMinutes: z.number().int().min(5).max(1440).default(60),
        /** Refresh-token lifetime: one 12-hour shift by default. */
        refreshTokenHours: z.number().int().min(1).max(87_600).default(12),
        /** A WAF web ACL on the user pool's sign-in endpoints. */
        userPoolWebAcl: z.boolean().default(true),
      })
      .strict()
      .default({ signIn: 'password-mfa', secondFactors: ['totp'], featurePlan: 'essentials', threatProtection: 'off', accessTokenMinutes: 60, refreshTokenHours: 12, userPoolWebAcl: true }),
    /** Email address subscribed to the operators' alarm topic (break-glass, 5xx, throttles, CIS filters). */
    alarmEmail: z.email().optional(),
    /** Optional WAF geo restriction (ISO 3166 alpha-2 codes allowed through) and IP allow-list (CIDRs); empty means off. */
    wafAllowedCountries: z.array(z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code')).default([]),
    wafAllowedIpRanges: z.array(z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, 'must be an IPv4 CIDR')).default([]),
    /** AWS Backup retention: daily backups, and monthly backups kept longer. */
    backup: z
      .object({ dailyRetentionDays: z.number().int().min(7).default(35), monthlyRetentionDays: z.number().int().min(30).default(365) })
      .strict()
      .default({ dailyRetentionDays: 35, monthlyRetentionDays: 365 }),
    /** Years the trail and journal archive buckets keep objects under Object Lock. */
    auditRetentionYears: z.number().int().min(1).max(100).default(1),
    /** Canadian region that buckets replicate to; omit to keep one region (acknowledged in the nag report). */
    replicationRegion: z.enum(canadianRegions).optional(),
    /** Custom API domain with an ACM certificate in the stage's region; TLS 1.2+ is enforced on it. */
    customDomain: z.object({ domainName: z.string().min(3), certificateArn: z.string().startsWith('arn:aws:acm:') }).strict().optional(),
  })
  .strict()
  .superRefine((config, context) => {
    if (config.auth.threatProtection !== 'off' && config.auth.featurePlan !== 'plus') {
      context.addIssue({ code: 'custom', path: ['auth', 'threatProtection'], message: 'threat protection needs auth.featurePlan "plus"' });
    }
    const needsEmail = config.auth.signIn === 'email-otp' || config.auth.secondFactors.includes('email');
    if (needsEmail && config.auth.sesFromAddress === undefined) {
      context.addIssue({ code: 'custom', path: ['auth', 'sesFromAddress'], message: 'email codes need an SES sender (auth.sesFromAddress)' });
    }
    if (config.replicationRegion !== undefined && config.replicationRegion === config.region) {
      context.addIssue({ code: 'custom', path: ['replicationRegion'], message: 'must differ from the stage region' });
    }
    if (!config.production) return;
    const fields = { oauthCallbackUrls: config.oauthCallbackUrls, oauthLogoutUrls: config.oauthLogoutUrls, corsAllowedOrigins: config.corsAllowedOrigins };
    for (const [field, urls] of Object.entries(fields)) {
      urls.forEach((url, index) => {
        if (isLocalhost(url)) context.addIssue({ code: 'custom', path: [field, index], message: 'http://localhost is for development stages, not a production one' });
      });
    }
  });

export type StageConfig = z.infer<typeof stageConfigSchema> & { readonly stage: string };

const stageName = /^[a-z][a-z0-9-]{1,19}$/;

/** Picks and validates one stage from the `stages` context object. */
export function resolveStageConfig(stage: unknown, stages: unknown): StageConfig {
  if (typeof stage !== 'string' || !stageName.test(stage)) {
    throw new Error(`Invalid stage ${JSON.stringify(stage)}: use -c stage=<name>, lower-case letters, digits and hyphens`);
  }
  const known = typeof stages === 'object' && stages !== null ? (stages as Record<string, unknown>) : {};
  if (!Object.hasOwn(known, stage)) {
    throw new Error(`Unknown stage "${stage}": known stages are ${Object.keys(known).join(', ') || '(none)'}; add it under "stages" in cdk.json`);
  }
  const parsed = stageConfigSchema.safeParse(known[stage]);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(stage)'}: ${issue.message}`);
    throw new Error(`Invalid configuration for stage "${stage}" in cdk.json:\n  - ${problems.join('\n  - ')}`);
  }
  return { ...parsed.data, stage };
}
