/**
 * CPU seconds (user + system) from /proc on Linux: a process's own, and those of the children this
 * process has waited for (their own waited-for children included: a launcher's group processes).
 */
import { readFileSync } from 'node:fs';

/** sysconf(_SC_CLK_TCK): 100 on Linux for every architecture Node supports. */
const CLOCK_TICKS = 100;

/** The fields of /proc/PID/stat after the command name, which may hold spaces (field 3 is [0]). */
function statFields(pid: number | 'self'): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** utime + stime (fields 14 and 15) of process `pid`. */
export function processCpuSeconds(pid: number): number {
  const f = statFields(pid);
  return (Number(f[11]) + Number(f[12])) / CLOCK_TICKS;
}

/** cutime + cstime (fields 16 and 17) of this process: its waited-for children's CPU. */
export function childrenCpuSeconds(): number {
  const f = statFields('self');
  return (Number(f[13]) + Number(f[14])) / CLOCK_TICKS;
}
