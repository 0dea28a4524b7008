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
  })
  .strict()
  .superRefine((config, context) => {
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
