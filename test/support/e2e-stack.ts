import { afterAll, beforeAll, expect } from 'vitest';
import type { StackInfo } from '../../local/stack';
import { freePorts, startStack, stopStack, type StackProcess } from './local-stack-process';
import { signIn } from './tokens';

/**
 * One local stack per e2e test file: `npm start --in-memory` in its own process on free ports,
 * booted in beforeAll and stopped in afterAll. Clients use nothing but stack.json and HTTP.
 */

/** The demo accounts the tests sign in as (local/demo-data.ts). */
export const demoUsers = {
  integration: 'integration@dsc.local',
  physician: 'medecin@dsc.local',
  nurse: 'infirmiere@dsc.local',
  clerk: 'commis@dsc.local',
} as const;

export interface ApiRequest {
  readonly method?: string;
  /** Email of the demo user whose access token is sent; `null` sends none. Defaults to the integration user. */
  readonly as?: string | null;
  readonly headers?: Record<string, string>;
  /** An object is sent as JSON; a string or bytes are sent exactly as given. */
  readonly body?: unknown;
}

export interface LocalStack {
  readonly info: StackInfo;
  /** An access token of a demo user, signed in through cognito-local once per file. */
  token(email: string): Promise<string>;
  /** A request to the API; the body gets `Content-Type: application/fhir+json` unless the headers name another. */
  request(path: string, init?: ApiRequest): Promise<Response>;
  /** The current Patient/[id] etc. as JSON, failing unless it is 200. */
  read(reference: string, as?: string): Promise<any>;
}

export function bootLocalStack(): LocalStack {
  let stack: StackProcess | undefined;
  let info: StackInfo | undefined;
  const tokens = new Map<string, Promise<string>>();

  beforeAll(async () => {
    ({ stack, info } = await startStack({ ports: await freePorts(), inMemory: true }));
  });
  afterAll(async () => {
    if (stack) await stopStack(stack);
  });

  const booted = (): StackInfo => {
    if (!info) throw new Error('the local stack is not running (beforeAll failed?)');
    return info;
  };

  const token = (email: string): Promise<string> => {
    let pending = tokens.get(email);
    if (!pending) {
      const user = booted().users.find((candidate) => candidate.email === email);
      if (!user) throw new Error(`no demo user ${email}`);
      pending = signIn(booted(), user.email, user.password).then((result) => result.accessToken);
      tokens.set(email, pending);
    }
    return pending;
  };

  const request = async (path: string, init: ApiRequest = {}): Promise<Response> => {
    const as = init.as === undefined ? demoUsers.integration : init.as;
    const headers: Record<string, string> = { ...(as ? { Authorization: `Bearer ${await token(as)}` } : {}) };
    let body: string | Uint8Array | undefined;
    if (init.body !== undefined) {
      body = typeof init.body === 'string' || init.body instanceof Uint8Array ? init.body : JSON.stringify(init.body);
      headers['Content-Type'] = 'application/fhir+json';
    }
    for (const [name, value] of Object.entries(init.headers ?? {})) {
      if (name.toLowerCase() === 'content-type') delete headers['Content-Type'];
      headers[name] = value;
    }
    const url = path.startsWith('http') ? path : `${booted().apiUrl}${path}`;
    return fetch(url, { method: init.method ?? 'GET', headers, body });
  };

  const read = async (reference: string, as?: string) => {
    const response = await request(`/${reference}`, { as: as ?? demoUsers.integration });
    expect(response.status, `GET ${reference}`).toBe(200);
    return response.json();
  };

  return {
    get info() {
      return booted();
    },
    token,
    request,
    read,
  };
}

/**
 * Checks an error answer: its status, a FHIR JSON content type and an OperationOutcome body whose
 * first error issue has the given code. Returns the OperationOutcome.
 */
export async function expectOperationOutcome(response: Response, status: number, code?: string): Promise<any> {
  const text = await response.text();
  expect(response.status, text.slice(0, 500)).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/fhir\+json/);
  const outcome = JSON.parse(text);
  expect(outcome.resourceType).toBe('OperationOutcome');
  expect(outcome.issue.length).toBeGreaterThan(0);
  if (code !== undefined) expect(outcome.issue[0]).toMatchObject({ severity: 'error', code });
  return outcome;
}

/** Expects a status, showing the body when it differs (an OperationOutcome says why). */
export async function expectStatus(response: Response, status: number): Promise<string> {
  const text = await response.text();
  expect(response.status, `${response.url}: ${text.slice(0, 500)}`).toBe(status);
  return text;
}

/**
 * Retries an assertion until it passes or the time is up, then fails with its last error. For
 * search parameters the index processor fills asynchronously ("usually within a second").
 */
export async function eventually<T>(assertion: () => Promise<T>, timeoutMs = 10_000, intervalMs = 150): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await assertion();
    } catch (error) {
      if (Date.now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}

export interface BundleEntry {
  readonly fullUrl?: string;
  readonly resource: any;
  readonly search?: { readonly mode?: string };
}

/** Every entry of a searchset or history, following `next` links from the first page (at most `maxPages`). */
export async function allPages(stack: LocalStack, path: string, init: ApiRequest = {}, maxPages = 100): Promise<{ entries: BundleEntry[]; pages: number }> {
  const entries: BundleEntry[] = [];
  let url: string | undefined = path;
  let pages = 0;
  while (url) {
    if (++pages > maxPages) throw new Error(`more than ${maxPages} pages for ${path}`);
    const response = await stack.request(url, init);
    const bundle = JSON.parse(await expectStatus(response, 200));
    expect(bundle.resourceType).toBe('Bundle');
    entries.push(...(bundle.entry ?? []));
    url = bundle.link?.find((link: { relation: string }) => link.relation === 'next')?.url;
  }
  return { entries, pages };
}

/** `Type/id` of each entry's resource, sorted. */
export function referencesOf(entries: readonly BundleEntry[]): string[] {
  return entries.map((entry) => `${entry.resource.resourceType}/${entry.resource.id}`).sort();
}

/** The version ids an instance's history lists, newest first. */
export async function versionIds(stack: LocalStack, reference: string): Promise<string[]> {
  const { entries } = await allPages(stack, `/${reference}/_history`);
  return entries.map((entry) => entry.resource?.meta?.versionId ?? `deleted:${(entry as { response?: { etag?: string } }).response?.etag}`);
}

/** A fresh value for identifiers and names, so tests never see each other's data. */
export function unique(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
