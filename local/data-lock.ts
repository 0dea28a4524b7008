import { linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { StartupError } from './ports';

/** What `<data folder>/lock` holds: enough to name the running stack, and to tell a live holder from a reused PID. */
export interface LockHolder {
  readonly pid: number;
  readonly apiUrl: string;
  readonly startedAt: string;
  /** The holder's start time in clock ticks since boot (/proc/<pid>/stat); absent where there is no /proc. */
  readonly processStart?: string;
}

export interface DataLock {
  readonly file: string;
  /** The holder of a stale lock (dead, or its PID now names another process) that this one replaced. */
  readonly tookOverFrom?: LockHolder;
  release(): void;
}

/**
 * One running stack per data folder: two would share one DynamoDB file and one Cognito folder, and
 * each would overwrite the other's stack.json. The lock is created atomically (a hard link of a fully
 * written file, so no reader ever sees it empty); a lock whose holder is gone, after a kill -9 say,
 * is taken over.
 */
export function acquireDataLock(localDir: string, apiUrl: string): DataLock {
  const file = path.join(localDir, 'lock');
  const own: LockHolder = { pid: process.pid, apiUrl, startedAt: new Date().toISOString(), processStart: processStartOf(process.pid) };
  const draft = `${file}.${process.pid}.tmp`;
  writeFileSync(draft, `${JSON.stringify(own)}\n`);
  try {
    let tookOverFrom: LockHolder | undefined;
    if (!linked(draft, file)) {
      const holder = readHolder(file);
      if (holder && isRunning(holder)) throw inUse(localDir, holder);
      // The holder is gone. Should another start take it over at the same instant, only one link succeeds.
      rmSync(file, { force: true });
      if (!linked(draft, file)) throw inUse(localDir, readHolder(file));
      tookOverFrom = holder;
    }
    const release = () => {
      process.removeListener('exit', release);
      if (readHolder(file)?.pid === process.pid) rmSync(file, { force: true });
    };
    // Any exit path that skips stop() (an uncaught error, process.exit) still frees the folder.
    process.once('exit', release);
    return { file, tookOverFrom, release };
  } finally {
    rmSync(draft, { force: true });
  }
}

function linked(from: string, to: string): boolean {
  try {
    linkSync(from, to);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

function inUse(localDir: string, holder: LockHolder | undefined): StartupError {
  const who = holder ? `a local stack (PID ${holder.pid}, ${holder.apiUrl})` : 'another local stack';
  return new StartupError(`the data folder ${localDir} is in use by ${who}; stop it first, or choose another folder with DSC_LOCAL_DIR=<folder>`);
}

/** The lock's holder, or undefined if the file is gone or unreadable (a lock never written in full is no claim). */
export function readHolder(file: string): LockHolder | undefined {
  try {
    const holder = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockHolder>;
    return typeof holder.pid === 'number' && typeof holder.apiUrl === 'string' ? (holder as LockHolder) : undefined;
  } catch {
    return undefined;
  }
}

/** Alive, and (where /proc tells) the very process that took the lock rather than a later one given the same PID. */
export function isRunning(holder: LockHolder): boolean {
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (holder.processStart === undefined) return true;
  const now = processStartOf(holder.pid);
  return now === undefined || now === holder.processStart;
}

/** Field 22 of /proc/<pid>/stat, the process's start time; read after the command name, which may hold spaces or parentheses. */
export function processStartOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}
