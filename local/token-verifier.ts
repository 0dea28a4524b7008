import { JwtVerifier } from 'aws-jwt-verify';
import type { Jwks } from 'aws-jwt-verify/jwk';
import { decomposeUnverifiedJwt } from 'aws-jwt-verify/jwt';
import type { JwtPayload } from 'aws-jwt-verify/jwt-model';

export interface VerifierOptions {
  /** http://127.0.0.1:<port>/<pool id>, the issuer cognito-local writes into its tokens. */
  readonly issuer: string;
  readonly allowedClientIds: readonly string[];
}

export type Verification = { ok: true; claims: JwtPayload } | { ok: false; reason: string };
export type TokenVerifier = (token: string) => Promise<Verification>;

/** Cognito signs with RS256 only; anything else (`none`, HS256 with the public key as secret) is refused before any key is looked at. */
const signingAlgorithm = 'RS256';

/**
 * Verifies access tokens the way the deployed Cognito authorizer (plus our handler check)
 * does: RS256 signature by a key of the pool's JWKS, issuer, expiry, token_use and client.
 * aws-jwt-verify refuses to fetch a JWKS over http, so we fetch cognito-local's once and
 * hand it over (that is the only local-only step), then verify against that cache alone: a
 * token naming a key the JWKS lacks is refused, never a reason to fetch again.
 */
export async function createTokenVerifier(options: VerifierOptions): Promise<TokenVerifier> {
  const verifier = JwtVerifier.create({
    issuer: options.issuer,
    audience: null, // access tokens carry client_id rather than aud
    customJwtCheck: ({ payload }) => {
      if (payload.token_use !== 'access') throw new Error('not an access token');
      if (typeof payload.client_id !== 'string' || !options.allowedClientIds.includes(payload.client_id)) throw new Error('token issued to an unknown client');
    },
  });
  const response = await fetch(`${options.issuer}/.well-known/jwks.json`);
  if (!response.ok) throw new Error(`cannot fetch the JWKS of ${options.issuer}: HTTP ${response.status}`);
  verifier.cacheJwks((await response.json()) as Jwks);
  return (token) => {
    try {
      const { header } = decomposeUnverifiedJwt(token);
      if (header.alg !== signingAlgorithm) return Promise.resolve({ ok: false, reason: `alg ${String(header.alg)} is not ${signingAlgorithm}` });
      return Promise.resolve({ ok: true, claims: verifier.verifySync(token) });
    } catch (error) {
      return Promise.resolve({ ok: false, reason: (error as Error).message });
    }
  };
}
