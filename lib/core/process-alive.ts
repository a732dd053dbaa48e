import { readFileSync } from 'node:fs';

/**
 * Whether a process with this id runs on this host (signal 0: nothing is sent). EPERM means it runs
 * under another user. Another host's or container's processes are not seen.
 */
export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * When process `pid` started, as Linux's /proc/PID/stat gives it (clock ticks since boot), to tell a
 * process from a later one given the same id; undefined where there is no /proc or no such process.
 */
export function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // Fields after the command (in parentheses, which may hold spaces): state is field 3, starttime 22.
    const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    return start !== undefined && /^\d+$/.test(start) ? start : undefined;
  } catch {
    return undefined;
  }
}
