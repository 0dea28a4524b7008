import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireDataLock, isRunning, processStartOf, readHolder, type DataLock, type LockHolder } from '../../local/data-lock';
import { StartupError } from '../../local/ports';

const held: DataLock[] = [];
afterEach(() => {
  for (const lock of held.splice(0)) lock.release();
});

function freshFolder(): string {
  return mkdtempSync(path.join(tmpdir(), 'dsc-lock-'));
}

function acquire(dir: string, apiUrl = 'http://127.0.0.1:4100'): DataLock {
  const lock = acquireDataLock(dir, apiUrl);
  held.push(lock);
  return lock;
}

function writeLock(dir: string, holder: Partial<LockHolder> | string): void {
  writeFileSync(path.join(dir, 'lock'), typeof holder === 'string' ? holder : JSON.stringify(holder));
}

/** The PID of a process that has already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

const hasProc = processStartOf(process.pid) !== undefined;

describe('the data-folder lock', () => {
  it('records this process and its API URL, and is gone once released', () => {
    const dir = freshFolder();
    const lock = acquire(dir);
    expect(readHolder(lock.file)).toMatchObject({ pid: process.pid, apiUrl: 'http://127.0.0.1:4100' });
    expect(lock.tookOverFrom).toBeUndefined();
    lock.release();
    expect(existsSync(lock.file)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses a second holder with one line naming the running one by PID and URL, and leaves its lock alone', () => {
    const dir = freshFolder();
    const first = acquire(dir, 'http://127.0.0.1:4100');
    expect(() => acquireDataLock(dir, 'http://127.0.0.1:4200')).toThrow(StartupError);
    expect(() => acquireDataLock(dir, 'http://127.0.0.1:4200')).toThrow(
      `the data folder ${dir} is in use by a local stack (PID ${process.pid}, http://127.0.0.1:4100); stop it first, or choose another folder with DSC_LOCAL_DIR=<folder>`,
    );
    expect(readHolder(first.file)?.apiUrl).toBe('http://127.0.0.1:4100');
    expect(readdirSync(dir)).toEqual(['lock']);
  });

  it('takes over the lock of a stack that died without releasing it (kill -9)', () => {
    const dir = freshFolder();
    const pid = deadPid();
    writeLock(dir, { pid, apiUrl: 'http://127.0.0.1:4300', startedAt: '2026-01-01T00:00:00Z' });
    const lock = acquire(dir);
    expect(lock.tookOverFrom?.pid).toBe(pid);
    expect(readHolder(lock.file)?.pid).toBe(process.pid);
  });

  it.skipIf(!hasProc)('takes over a lock whose PID now belongs to another process (PID reuse)', () => {
    const dir = freshFolder();
    writeLock(dir, { pid: process.pid, apiUrl: 'http://127.0.0.1:4300', startedAt: '2026-01-01T00:00:00Z', processStart: '1' });
    expect(acquire(dir).tookOverFrom?.pid).toBe(process.pid);
  });

  it('takes over a lock file that holds no readable claim', () => {
    const dir = freshFolder();
    writeLock(dir, '');
    const lock = acquire(dir);
    expect(lock.tookOverFrom).toBeUndefined();
    expect(readHolder(lock.file)?.pid).toBe(process.pid);
  });

  it("does not remove a lock that another process holds when released", () => {
    const dir = freshFolder();
    const lock = acquire(dir);
    writeLock(dir, { pid: 1, apiUrl: 'http://127.0.0.1:4400', startedAt: '2026-01-01T00:00:00Z' });
    lock.release();
    expect(readHolder(lock.file)?.pid).toBe(1);
  });

  it.skipIf(!hasProc)('tells a live holder from a dead one by PID and process start time', () => {
    const own = { pid: process.pid, apiUrl: 'x', startedAt: 'y', processStart: processStartOf(process.pid) };
    expect(isRunning(own)).toBe(true);
    expect(isRunning({ ...own, processStart: '1' })).toBe(false);
    expect(isRunning({ ...own, pid: deadPid() })).toBe(false);
  });
});
