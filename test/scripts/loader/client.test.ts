import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { listenOnLoopback } from '../../../local/ports';
import { postTransaction } from '../../../scripts/loader/client';
import { LoadError } from '../../../scripts/loader/inputs';

/** The loader's requests: retried while the server is busy or a concurrent writer won, never past a refusal. */

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** A server answering the given statuses in turn (the last one forever); returns its base URL and the requests seen. */
async function serverAnswering(statuses: number[]): Promise<{ baseUrl: string; seen: { authorization?: string; body: string }[] }> {
  const seen: { authorization?: string; body: string }[] = [];
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      seen.push({ ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}), body });
      const status = statuses[Math.min(seen.length, statuses.length) - 1] ?? 500;
      res.writeHead(status, { 'Content-Type': 'application/fhir+json' }).end(JSON.stringify({ resourceType: status === 200 ? 'Bundle' : 'OperationOutcome', status }));
    });
  });
  await listenOnLoopback(server, 0);
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return { baseUrl: `http://127.0.0.1:${address.port}`, seen };
}

const retry = { attempts: 4, baseDelayMs: 1 };

describe('postTransaction', () => {
  it('retries 503, 429 and 409 answers, then returns the answer that came through, with the token and the Bundle each time', async () => {
    const { baseUrl, seen } = await serverAnswering([503, 429, 409, 200]);
    const answer = await postTransaction({ baseUrl, token: 't0k' }, { resourceType: 'Bundle', type: 'transaction', entry: [] }, retry);
    expect(answer).toEqual({ status: 200, body: { resourceType: 'Bundle', status: 200 } });
    expect(seen).toHaveLength(4);
    expect(new Set(seen.map((request) => `${request.authorization} ${request.body}`))).toEqual(new Set(['Bearer t0k {"resourceType":"Bundle","type":"transaction","entry":[]}']));
  });

  it('returns a refusal (400) at once, without retrying', async () => {
    const { baseUrl, seen } = await serverAnswering([400]);
    expect((await postTransaction({ baseUrl, token: 't' }, {}, retry)).status).toBe(400);
    expect(seen).toHaveLength(1);
  });

  it('gives up after the last attempt and returns the last transient answer', async () => {
    const { baseUrl, seen } = await serverAnswering([503]);
    expect((await postTransaction({ baseUrl, token: 't' }, {}, retry)).status).toBe(503);
    expect(seen).toHaveLength(4);
  });

  it('stops with a LoadError when the token is refused (401)', async () => {
    const { baseUrl } = await serverAnswering([401]);
    await expect(postTransaction({ baseUrl, token: 'expired' }, {}, retry)).rejects.toThrow(LoadError);
  });

  it('retries a server that cannot be reached, then stops with a LoadError', async () => {
    const { baseUrl } = await serverAnswering([200]);
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    server = undefined;
    await expect(postTransaction({ baseUrl, token: 't' }, {}, retry)).rejects.toThrow(/cannot be reached/);
  });
});
