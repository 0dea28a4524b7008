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

/** A resource as the API returns it: the server always sets the id and meta. */
export interface StoredResource {
  readonly resourceType: string;
  readonly id: string;
  readonly meta: { readonly versionId: string; readonly lastUpdated: string; readonly tag?: readonly unknown[] };
  readonly [element: string]: unknown;
}

export interface OutcomeIssue {
  readonly severity: string;
  readonly code: string;
  readonly diagnostics?: string;
  readonly expression?: readonly string[];
}

export interface OperationOutcome {
  readonly resourceType: 'OperationOutcome';
  readonly issue: readonly OutcomeIssue[];
}

export interface BundleEntry {
  readonly fullUrl?: string;
  readonly resource?: StoredResource;
  readonly search?: { readonly mode?: string };
  readonly request?: { readonly method: string; readonly url: string };
  readonly response?: { readonly status: string; readonly etag?: string };
}

export interface Bundle {
  readonly resourceType: 'Bundle';
  readonly type: string;
  readonly total?: number;
  readonly link?: readonly { readonly relation: string; readonly url: string }[];
  readonly entry?: readonly BundleEntry[];
}

export interface ApiRequest {
  readonly method?: string;
  /** Email of the demo user whose access token is sent; `null` sends none. Defaults to the integration user. */
  readonly as?: string | null;
  readonly headers?: Record<string, string>;
  /** An object is sent as JSON; a string or bytes are sent exactly as given. */
  readonly body?: unknown;
  /** `manual` to see a redirect (a large Binary's 303) rather than follow it. */
  readonly redirect?: 'follow' | 'manual';
}

export interface LocalStack {
  readonly info: StackInfo;
  /** An access token of a demo user, signed in through cognito-local once per file. */
  token(email: string): Promise<string>;
  /** A request to the API; the body gets `Content-Type: application/fhir+json` unless the headers name another. */
  request(path: string, init?: ApiRequest): Promise<Response>;
  /** The current version of `Type/id`, failing unless the read answers 200. */
  read(reference: string, as?: string): Promise<StoredResource>;
  /** Everything the stack process has printed so far: its own lines, the gateway's and every function's logs. */
  output(): string;
}

/** `env` is added to the stack process's environment (e.g. a log level). */
export function bootLocalStack(options: { readonly env?: NodeJS.ProcessEnv } = {}): LocalStack {
  let stack: StackProcess | undefined;
  let info: StackInfo | undefined;
  const tokens = new Map<string, Promise<string>>();

  beforeAll(async () => {
    ({ stack, info } = await startStack({ ports: await freePorts(), inMemory: true, env: options.env }));
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
    return fetch(url, { method: init.method ?? 'GET', headers, body, redirect: init.redirect });
  };

  const read = async (reference: string, as?: string) => {
    return expectJson<StoredResource>(await request(`/${reference}`, { as: as ?? demoUsers.integration }), 200);
  };

  return {
    get info() {
      return booted();
    },
    token,
    request,
    read,
    output: () => stack?.output() ?? '',
  };
}

/**
 * Checks an error answer: its status, a FHIR JSON content type and an OperationOutcome body whose
 * first issue is an error with the given code. Returns the OperationOutcome.
 */
export async function expectOperationOutcome(response: Response, status: number, code?: string): Promise<OperationOutcome> {
  const outcome = await expectJson<OperationOutcome>(response, status);
  expect(response.headers.get('content-type')).toMatch(/^application\/fhir\+json/);
  expect(outcome.resourceType).toBe('OperationOutcome');
  expect(outcome.issue.length).toBeGreaterThan(0);
  if (code !== undefined) expect(outcome.issue[0]).toMatchObject({ severity: 'error', code });
  return outcome;
}

/** Expects a status and returns the body's text, showing the body when the status differs (an OperationOutcome says why). */
export async function expectStatus(response: Response, status: number): Promise<string> {
  const text = await response.text();
  expect(response.status, `${response.url}: ${text.slice(0, 500)}`).toBe(status);
  return text;
}

/** Expects a status and returns the JSON body. */
export async function expectJson<T = StoredResource>(response: Response, status: number): Promise<T> {
  return JSON.parse(await expectStatus(response, status)) as T;
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

/** Every entry of a searchset or history, following `next` links from the first page (at most `maxPages`). */
export async function allPages(stack: LocalStack, path: string, init: ApiRequest = {}, maxPages = 100): Promise<{ entries: BundleEntry[]; pages: number }> {
  const entries: BundleEntry[] = [];
  let url: string | undefined = path;
  let pages = 0;
  while (url) {
    if (++pages > maxPages) throw new Error(`more than ${maxPages} pages for ${path}`);
    const bundle: Bundle = await expectJson<Bundle>(await stack.request(url, init), 200);
    expect(bundle.resourceType).toBe('Bundle');
    entries.push(...(bundle.entry ?? []));
    url = bundle.link?.find((link) => link.relation === 'next')?.url;
  }
  return { entries, pages };
}

/** `Type/id` of each entry's resource, sorted. */
export function referencesOf(entries: readonly BundleEntry[]): string[] {
  return entries.map((entry) => `${entry.resource?.resourceType}/${entry.resource?.id}`).sort();
}

/** The ids of the entries a search matched (not its includes or outcome), in order. */
export function matchedIds(entries: readonly BundleEntry[]): string[] {
  return entries.filter((entry) => entry.search?.mode === 'match').map((entry) => entry.resource?.id ?? '(no resource)');
}

/** The version ids an instance's history lists, newest first. */
export async function versionIds(stack: LocalStack, reference: string): Promise<string[]> {
  const { entries } = await allPages(stack, `/${reference}/_history`);
  return entries.map((entry) => entry.resource?.meta.versionId ?? `deleted:${entry.response?.etag}`);
}

/** The Practitioner a demo user is linked to (a restriction or the journal names them by it). */
export function practitionerOf(stack: LocalStack, email: string): string {
  const user = stack.info.users.find((candidate) => candidate.email === email) as { practitioner?: string } | undefined;
  if (!user?.practitioner) throw new Error(`stack.json gives ${email} no practitioner: the local stack must link each demo user to its Practitioner`);
  return user.practitioner;
}

/** A fresh value for identifiers and names, so tests never see each other's data. */
export function unique(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
