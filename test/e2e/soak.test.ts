import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { soak, type SoakTarget } from '../../scripts/soak';
import { freePorts, startStack, stopStack, type StackProcess } from '../support/local-stack-process';

/** `npm run soak` at CI size against an in-memory stack: a bounded mixed workload, then the read-back. */
describe('npm run soak', () => {
  let stack: StackProcess;
  let target: SoakTarget;
  beforeAll(async () => {
    const started = await startStack({ ports: await freePorts(), inMemory: true });
    stack = started.stack;
    target = { info: started.info, pid: started.stack.process.pid };
  });
  afterAll(async () => {
    await stopStack(stack);
  });

  it('runs a mixed workload with no 5xx, no unexpected status, and everything read back and journaled', async () => {
    const { report, failed } = await soak({ concurrency: 4, minutes: 0.25, maxRequests: 100, useRunning: false }, () => undefined, target);
    expect(failed, report).toEqual([]);
    expect(report).toMatch(/^soak: \d+ requests in /);
    expect(report).toContain('5xx 0 (0%)');
    expect(report).toMatch(/gateway RSS \d/);
    expect(report).toContain('all present and complete');
  });
});
