import { fromEnv } from '@aws-sdk/credential-provider-env';

/**
 * Lambda hands every function its role's credentials in environment variables, so the SDK's
 * default provider chain (SSO, profiles, IMDS, STS web identity…) is dead weight in a bundle: the
 * function bundles alias `@aws-sdk/credential-provider-node` to this module (see DscFunction),
 * which keeps about 160 KB of clients out of each cold start. Tests and the local runtime, which
 * are not bundled, keep the full chain.
 */
export const defaultProvider = (init?: Parameters<typeof fromEnv>[0]) => fromEnv(init);
