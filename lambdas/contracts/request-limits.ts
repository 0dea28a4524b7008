/**
 * The largest request body the API accepts, declared once: the functions answer 413 above it, and
 * the web ACL refuses a request whose Content-Length declares more before any function runs.
 * Lambda takes at most 6 MB per synchronous invocation and API Gateway hands every body over
 * base64-encoded (binary media types), which grows it by a third: 4 MiB becomes 5.3 MiB, leaving
 * room for the headers and the request context. A single stored resource is far smaller (400 KB item).
 */
export const maxRequestBodyBytes = 4 * 1024 * 1024;
