/**
 * The request header that makes a retried create answer as the first one did (IETF
 * draft-ietf-httpapi-idempotency-key-header; docs/reliability.md). Declared here because CORS,
 * the CapabilityStatement and the write function all name it.
 */
export const idempotencyKeyHeader = 'Idempotency-Key';
