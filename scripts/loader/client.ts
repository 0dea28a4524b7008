import { stringifyFhirJson } from '../../lambdas/fhir/json';
import { LoadError } from './inputs';

/** Where the load goes: a FHIR base URL and a bearer token with write scope. */
export interface LoadTarget {
  readonly baseUrl: string;
  readonly token: string;
}

export interface ServerAnswer {
  readonly status: number;
  readonly body: unknown;
}

export interface RetryPolicy {
  readonly attempts: number;
  /** The first wait; each retry waits twice as long, with jitter. */
  readonly baseDelayMs: number;
}

const defaultRetry: RetryPolicy = { attempts: 8, baseDelayMs: 250 };

/**
 * Statuses worth another try: throttling and unavailability, and 409, which a concurrent writer
 * causes (another request took the version or the conditional-create guard). Every request of a
 * load is idempotent (ids derived from the source, conditional creates, no-op updates), so
 * sending one again is always safe.
 */
const transient = new Set([409, 429, 502, 503, 504]);

/** POSTs a transaction Bundle to the base URL, retrying transient failures and network errors with backoff. */
export async function postTransaction(target: LoadTarget, bundle: unknown, retry: RetryPolicy = defaultRetry): Promise<ServerAnswer> {
  // Lossless: decimals go out exactly as the source wrote them.
  const body = stringifyFhirJson(bundle);
  for (let attempt = 1; ; attempt++) {
    const sent = await send(target, body).catch((error: unknown) => error as Error);
    const last = attempt >= retry.attempts;
    if (sent instanceof Error) {
      if (last) throw new LoadError(`${target.baseUrl} cannot be reached: ${sent.message}`);
    } else if (sent.answer.status === 401) {
      throw new LoadError(`${target.baseUrl} refused the token (401): it is missing, expired or not for this API`);
    } else if (!transient.has(sent.answer.status) || last) {
      return sent.answer;
    }
    const retryAfter = sent instanceof Error ? undefined : sent.retryAfterMs;
    await sleep(retryAfter ?? retry.baseDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random()));
  }
}

async function send(target: LoadTarget, body: string): Promise<{ answer: ServerAnswer; retryAfterMs?: number }> {
  const response = await fetch(`${target.baseUrl.replace(/\/+$/, '')}/`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${target.token}`, 'Content-Type': 'application/fhir+json', Accept: 'application/fhir+json' },
    body,
  });
  const text = await response.text();
  const seconds = Number(response.headers.get('retry-after'));
  return {
    answer: { status: response.status, body: parseOrText(text) },
    ...(Number.isFinite(seconds) && seconds > 0 ? { retryAfterMs: Math.min(seconds, 30) * 1000 } : {}),
  };
}

function parseOrText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
