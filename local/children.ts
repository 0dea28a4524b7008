import type { ChildProcess } from 'node:child_process';
import { StartupError } from './ports';

interface Supervised {
  readonly name: string;
  readonly process: ChildProcess;
  /** Last lines on stderr, shown if the child dies (stdout only carries start-up banners). */
  readonly tail: string[];
}

/**
 * Keeps track of the emulator processes: reports one that dies unexpectedly, and stops all
 * of them (SIGTERM, then SIGKILL) so no java process outlives `npm start`.
 */
export class Children {
  private readonly running = new Set<Supervised>();
  private stopping = false;

  constructor(private readonly onCrash: (message: string) => void) {
    // Children run in their own process groups, so a terminal's Ctrl-C does not reach them; if this
    // process ends by any path that skips stopAll (an uncaught error, process.exit), signal them now.
    process.once('exit', () => {
      for (const entry of this.running) entry.process.kill('SIGTERM');
    });
  }

  add(name: string, child: ChildProcess): void {
    const entry: Supervised = { name, process: child, tail: [] };
    const keepTail = (chunk: Buffer) => {
      entry.tail.push(...chunk.toString().split('\n').filter(Boolean));
      entry.tail.splice(0, Math.max(0, entry.tail.length - 5));
    };
    child.stdout?.resume();
    child.stderr?.on('data', keepTail);
    this.running.add(entry);
    child.once('exit', (code, signal) => {
      this.running.delete(entry);
      if (this.stopping) return;
      const last = entry.tail.at(-1);
      this.onCrash(`${name} exited unexpectedly (${signal ?? `code ${code}`})${last ? `: ${last}` : ''}`);
    });
    child.once('error', (error) => {
      this.running.delete(entry);
      if (!this.stopping) this.onCrash(`${name} could not be started: ${error.message}`);
    });
  }

  async stopAll(graceMs = 5000): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.running].map((entry) => stop(entry.process, graceMs)));
    this.running.clear();
  }
}

function stop(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Polls until `ready` resolves true, or fails after the timeout with a clear message. */
export async function waitUntil(what: string, ready: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await ready().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  throw new StartupError(`${what} did not become ready within ${Math.round(timeoutMs / 1000)} s`);
}
