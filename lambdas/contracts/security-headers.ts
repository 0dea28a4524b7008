/**
 * Headers on every response of the API, whoever answers: the functions (platform/http.ts), API
 * Gateway's own responses and 405 answers (gateway-responses.ts), the web ACL's block responses,
 * and the local gateway. Declared once so none of them can drift.
 *
 * No Content-Security-Policy: its keywords are quoted ('none'), and API Gateway writes static header
 * values inside single quotes with no documented escape. The bodies are JSON sent with nosniff, never
 * rendered as a document, and X-Frame-Options forbids framing them.
 */
export const securityHeaders = {
  // PHI must never sit in a shared or browser cache.
  'Cache-Control': 'no-store',
  // Two years, the preload list's minimum; every host under the API's domain is HTTPS-only.
  'Strict-Transport-Security': 'max-age=63072000; includeSubDomains',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
} as const;
