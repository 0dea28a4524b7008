import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { readHolder } from '../local/data-lock';
import type { StackInfo } from '../local/stack';
import { freePorts, startStack, stopStack, type StackProcess } from '../test/support/local-stack-process';
import { signIn } from '../local/sign-in';
import { FhirClient } from './soak/client';
import { checkConsistency } from './soak/consistency';
import { Ledger } from './soak/ledger';
import { failures, formatReport, residentMb, summarizeRun, type MemoryFigures } from './soak/report';
import { pickOperation, type Clients } from './soak/workload';

/**
 * `npm run soak [-- --concurrency 8 --minutes 2 --max-requests N --use-running]`: a mixed workload
 * against the local stack on loopback, bounded in time and requests, then a read-back of everything
 * it made. Exits 1 on any 5xx, any status an operation does not allow, or any inconsistency.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const usage = `usage: npm run soak -- [--concurrency N] [--minutes M] [--max-requests N] [--use-running]
  --concurrency   requests in flight at once (default 8)
  --minutes       how long the load runs, at most 60 (default 2; fractions allowed)
  --max-requests  stop after this many requests even if time is left
  --use-running   use the stack of DSC_LOCAL_DIR (default .local) instead of starting one in memory`;

export interface SoakOptions {
  readonly concurrency: number;
  readonly minutes: number;
  readonly maxRequests: number;
  readonly useRunning: boolean;
}

export function parseSoakOptions(argv: readonly string[]): SoakOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: { concurrency: { type: 'string' }, minutes: { type: 'string' }, 'max-requests': { type: 'string' }, 'use-running': { type: 'boolean' }, help: { type: 'boolean' } },
    strict: true,
  });
  if (values.help) return 'help';
  const number = (name: string, text: string | undefined, fallback: number, valid: (value: number) => boolean) => {
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!valid(value)) throw new Error(`--${name} ${text} is out of range\n${usage}`);
    return value;
  };
  return {
    concurrency: number('concurrency', values.concurrency, 8, (value) => Number.isInteger(value) && value >= 1 && value <= 256),
    // Tokens from cognito-local last an hour; the soak signs in once.
    minutes: number('minutes', values.minutes, 2, (value) => value > 0 && value <= 60),
    maxRequests: number('max-requests', values['max-requests'], Number.POSITIVE_INFINITY, (value) => Number.isInteger(value) && value >= 1),
    useRunning: values['use-running'] ?? false,
  };
}

/** A running stack to soak, and the PID of its gateway process (for its memory), if known. */
export interface SoakTarget {
  readonly info: StackInfo;
  readonly pid: number | undefined;
}

/** The stack to soak: a fresh in-memory one on free ports, or the one already running on DSC_LOCAL_DIR. */
async function stackUnderTest(useRunning: boolean): Promise<SoakTarget & { owned?: StackProcess }> {
  if (!useRunning) {
    const { stack, info } = await startStack({ ports: await freePorts(), inMemory: true });
    return { info, pid: stack.process.pid, owned: stack };
  }
  const localDir = path.resolve(process.env.DSC_LOCAL_DIR ?? '.local');
  const info = JSON.parse(readFileSync(path.join(localDir, 'stack.json'), 'utf8')) as StackInfo;
  const host = new URL(info.apiUrl).hostname;
  if (host !== '127.0.0.1' && host !== 'localhost') throw new Error(`soak: ${info.apiUrl} is not on loopback; the soak runs against a local stack only`);
  return { info, pid: readHolder(path.join(localDir, 'lock'))?.pid };
}

async function clientFor(info: StackInfo, role: string): Promise<FhirClient> {
  const user = info.users.find((candidate) => candidate.roles.includes(role as never));
  if (!user) throw new Error(`soak: stack.json has no demo user with the role ${role}`);
  return new FhirClient(info.apiUrl, (await signIn(info, user.email, user.password)).accessToken);
}

export async function soak(options: SoakOptions, log: (line: string) => void, target?: SoakTarget): Promise<{ report: string; failed: string[] }> {
  const { info, pid, owned }: SoakTarget & { owned?: StackProcess } = target ?? (await stackUnderTest(options.useRunning));
  try {
    const clients: Clients = { physician: await clientFor(info, 'physician'), clerk: await clientFor(info, 'clerk') };
    const privacyOfficer = await clientFor(info, 'privacy-officer');
    const run = Array.from({ length: 8 }, () => String.fromCharCode(97 + Math.floor(Math.random() * 26))).join('');
    const ledger = new Ledger();

    const startMb = pid === undefined ? undefined : residentMb(pid);
    let peakMb = startMb ?? 0;
    const sampler = setInterval(() => {
      peakMb = Math.max(peakMb, (pid === undefined ? undefined : residentMb(pid)) ?? 0);
    }, 1000);
    const started = Date.now();
    const deadline = started + options.minutes * 60_000;
    const progress = setInterval(() => {
      log(`soak: ${Math.round((Date.now() - started) / 1000)} s, ${ledger.outcomes.length} requests`);
    }, 15_000);
    let issued = 0;
    const worker = async () => {
      while (Date.now() < deadline && issued < options.maxRequests) {
        issued += 1;
        await pickOperation(Math.random())(clients, ledger, run).catch((error: unknown) => ledger.transportErrors.push((error as Error).message));
      }
    };
    await Promise.all(Array.from({ length: options.concurrency }, worker));
    const seconds = (Date.now() - started) / 1000;
    clearInterval(progress);
    clearInterval(sampler);
    const endMb = pid === undefined ? undefined : residentMb(pid);
    const memory: MemoryFigures | undefined = startMb !== undefined && endMb !== undefined ? { startMb, endMb, peakMb: Math.max(peakMb, endMb) } : undefined;

    log(`soak: load done (${ledger.outcomes.length} requests); reading back ${ledger.resources.size} resources and the journal of ${ledger.journalExpected.size} subjects`);
    const consistency = await checkConsistency(ledger, { physician: clients.physician, privacyOfficer }, options.concurrency);
    const summary = summarizeRun(ledger.outcomes, ledger.transportErrors.length, seconds);
    return { report: formatReport(summary, memory, consistency, options.concurrency), failed: failures(summary, consistency) };
  } finally {
    if (owned) await stopStack(owned);
  }
}

async function main(): Promise<void> {
  const options = parseSoakOptions(process.argv.slice(2));
  if (options === 'help') {
    console.log(usage);
    return;
  }
  console.error(`soak: ${options.useRunning ? 'using the running stack' : 'starting a local stack in memory on free ports'}; ${options.concurrency} at once for ${options.minutes} min${Number.isFinite(options.maxRequests) ? ` or ${options.maxRequests} requests` : ''}`);
  const { report, failed } = await soak(options, (line) => {
    console.error(line);
  });
  console.log(report);
  if (failed.length > 0) {
    console.error(`soak: FAILED: ${failed.join('; ')}`);
    process.exitCode = 1;
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(`soak: ${(error as Error).message}`);
    process.exitCode = 1;
  });
}
