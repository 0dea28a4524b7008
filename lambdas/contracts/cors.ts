/**
 * Cross-origin access for browser apps, declared once: the API stack configures preflight
 * (OPTIONS) methods and gateway responses from it, the handlers and the local gateway add the
 * response headers with it.
 */
import { breakGlassHeader, purposeOfUseHeader, securityContextHeader } from './access-headers';
import { idempotencyKeyHeader } from './idempotency-key';

export const corsAllowedOriginsEnvVar = 'CORS_ALLOWED_ORIGINS';

/** What browser apps may send; the break-glass reason and purpose of use too, or a web client could not use them. */
export const corsAllowHeaders = ['Authorization', 'Content-Type', 'Accept', 'If-Match', 'If-None-Exist', 'If-None-Match', 'If-Modified-Since', 'Prefer', idempotencyKeyHeader, breakGlassHeader, purposeOfUseHeader, securityContextHeader];
export const corsExposeHeaders = ['Location', 'ETag', 'Last-Modified', 'X-Request-Id'];
export const corsMaxAgeSeconds = 3600;

/**
 * Headers for a response to `origin`: the origin is echoed only when allowed, and `Vary: Origin`
 * keeps caches from serving one origin's answer to another. Bearer tokens travel in a header,
 * not cookies, so credentials are never allowed.
 */
export function corsHeaders(origin: string | undefined, allowed: ReadonlySet<string>): Record<string, string> {
  if (allowed.size === 0) return {};
  if (!origin || !allowed.has(origin)) return { Vary: 'Origin' };
  return { 'Access-Control-Allow-Origin': origin, 'Access-Control-Expose-Headers': corsExposeHeaders.join(', '), Vary: 'Origin' };
}

/** The extra headers of a preflight answer to an allowed origin; it lists only the methods the path serves. */
export function preflightHeaders(origin: string | undefined, allowed: ReadonlySet<string>, methods: readonly string[]): Record<string, string> {
  const headers = corsHeaders(origin, allowed);
  if (!headers['Access-Control-Allow-Origin']) return headers;
  return {
    ...headers,
    'Access-Control-Allow-Methods': [...methods, 'OPTIONS'].join(','),
    'Access-Control-Allow-Headers': corsAllowHeaders.join(','),
    'Access-Control-Max-Age': String(corsMaxAgeSeconds),
  };
}

export function parseOrigins(value: string | undefined): Set<string> {
  return new Set((value ?? '').split(',').map((origin) => origin.trim()).filter(Boolean));
}
