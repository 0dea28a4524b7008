import { performance } from 'node:perf_hooks';

/** One answer of the API as the soak records it: status, time to the last byte, the request id the journal keeps. */
export interface Answer {
  readonly status: number;
  readonly ms: number;
  readonly requestId?: string;
  readonly body: unknown;
  readonly etag?: string;
}

/** A FHIR client holding one access token; never throws on an HTTP status, only on a broken connection. */
export class FhirClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {}

  async send(method: string, path: string, options: { body?: unknown; raw?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
    const started = performance.now();
    const hasBody = options.body !== undefined || options.raw !== undefined;
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { Authorization: `Bearer ${this.token}`, ...(hasBody ? { 'Content-Type': 'application/fhir+json' } : {}), ...options.headers },
      body: options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
    });
    const text = await response.text();
    const ms = performance.now() - started;
    let body: unknown;
    try {
      body = text ? (JSON.parse(text) as unknown) : undefined;
    } catch {
      body = text;
    }
    return { status: response.status, ms, body, requestId: response.headers.get('x-request-id') ?? undefined, etag: response.headers.get('etag') ?? undefined };
  }
}
