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
