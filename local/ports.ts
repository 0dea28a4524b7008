import type { Server as HttpServer } from 'node:http';
import { createServer } from 'node:net';

/** Resolves if nothing listens on the port on any interface, rejects with a clear message otherwise. */
export function assertPortFree(port: number, what: string, envVar: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => {
      reject(new StartupError(error.code === 'EADDRINUSE' ? `port ${port} (${what}) is already in use; free it or choose another with ${envVar}=<port>` : `cannot use port ${port} (${what}): ${error.message}`));
    });
    probe.listen({ port, host: '0.0.0.0', exclusive: true }, () => {
      probe.close(() => {
        resolve();
      });
    });
  });
}

/** A port the OS reports free right now (for tests that boot their own stack). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen({ port: 0, host: '127.0.0.1' }, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => {
        resolve(port);
      });
    });
  });
}

/** Starts an HTTP server on the loopback interface only, resolving once it listens. */
export async function listenOnLoopback(server: HttpServer, port: number): Promise<HttpServer> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      resolve();
    });
  });
  return server;
}

/** An error whose message is meant for the person who ran the command, printed as one line. */
export class StartupError extends Error {}
