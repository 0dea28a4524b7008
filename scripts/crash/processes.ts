import { readdirSync, readFileSync } from 'node:fs';

/** Parent PID of a process (field 4 of /proc/<pid>/stat, read after the command name). */
function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/**
 * The process and all its descendants. The stack's emulators run in process groups of their own
 * (so a terminal's Ctrl-C reaches only `npm start`), hence a walk of the tree rather than a kill of one group.
 */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const parent = parentOf(pid);
    if (parent !== undefined) children.set(parent, [...(children.get(parent) ?? []), pid]);
  }
  const tree: number[] = [];
  for (const queue = [root]; queue.length > 0; ) {
    const pid = queue.shift() as number;
    tree.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return tree;
}

/** What a process of the local stack is, from its command line, for the crash check's log. */
export function roleOf(pid: number): string {
  let command: string;
  try {
    command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return 'gone';
  }
  if (command.includes('DynamoDBLocal')) return 'DynamoDB Local';
  if (command.includes('cognito-local')) return 'cognito-local';
  if (command.includes('local/start.ts')) return 'gateway';
  return command.split(' ')[0] ?? 'unknown';
}

/** kill -9 of the whole tree at once, as a power cut would: no process gets to clean up after another. Returns what was killed. */
export function killTree(root: number): string[] {
  const tree = processTree(root).map((pid) => ({ pid, role: roleOf(pid) }));
  for (const { pid } of tree) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  return tree.map(({ pid, role }) => `${role} (${pid})`);
}
