/**
 * How `alpha kill` reaches a running `alpha live`: the live run writes its pid to OUT/live.pid while
 * it runs and watches OUT for OUT/kill.json, which `alpha kill` writes whole (a rename) with the
 * reason. The live run takes the file, removes it (that is the acknowledgement `alpha kill` waits
 * for), and gives the graph the `halt` command as a step of its own.
 */
import { existsSync, rmSync, watch } from 'node:fs';
import { join } from 'node:path';
import { AlphaError, DataError } from '../../lib/core/errors.ts';
import { processAlive, processStart } from '../../lib/core/process-alive.ts';
import { DataFileMissing, readDataBytes } from '../../lib/io/data-file.ts';
import { writeFileAtomically } from '../io/write-file.ts';

export const PID_FILE = 'live.pid';
export const KILL_FILE = 'kill.json';
/** The longest reason kept (the rest is cut). */
const MAX_REASON = 200;
/** The largest kill.json read: alpha kill writes under 300 bytes. */
const MAX_KILL_BYTES = 4096;

/** Watches `outDir` for a halt; returns the function that stops watching (and removes the pid file). */
export function watchControl(outDir: string, onHalt: (reason: string) => void, warn: (m: string) => void): () => void {
  writePid(outDir);
  const take = (): void => {
    const file = join(outDir, KILL_FILE);
    if (!existsSync(file)) return;
    let reason = 'alpha kill';
    try {
      // Bounded and never blocking: a pipe, a device or a link to /dev/zero named kill.json must not
      // stall or fill a live run, which is what the halt is for.
      const bytes = readDataBytes(file, { bytes: MAX_KILL_BYTES, of: 'the halt request alpha kill writes' });
      const j = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as { reason?: unknown } | null;
      if (typeof j?.reason === 'string' && j.reason.trim() !== '') reason = cleanReason(j.reason);
    } catch (err) {
      if (err instanceof DataFileMissing) return; // taken already (a second watch event)
      const why = err instanceof DataError ? err.message : `${file}: not the JSON alpha kill writes`;
      warn(`${why}; halting anyway`);
    }
    rmSync(file, { force: true });
    onHalt(reason);
  };
  const watcher = watch(outDir, (_event, name) => {
    if (name === KILL_FILE) take();
  });
  take(); // one written before the watch started
  return () => {
    watcher.close();
    rmSync(join(outDir, PID_FILE), { force: true });
  };
}

/**
 * Writes OUT/live.pid whole, through a rename: a live.pid left in a resumed --out as a symbolic link
 * is replaced, not followed (writing through it wrote the pid into whatever file it named).
 */
function writePid(outDir: string): void {
  const start = processStart(process.pid);
  writeFileAtomically('--out', join(outDir, PID_FILE), new TextEncoder().encode(`${process.pid}${start ? ` ${start}` : ''}\n`), {
    ownFolder: true,
  });
}

/**
 * The pid in OUT/live.pid, NaN when there is no such file; a file that is not what `alpha live` writes
 * (a pipe, a device, a link to /dev/zero, a large file) is an AlphaError naming it, not a read that
 * blocks or fills memory.
 */
export function readPid(outDir: string): number {
  return readPidFile(outDir).pid;
}

/**
 * The live run writing OUT: its pid while that process runs, undefined when no run is there or its
 * process ended. live.pid also holds when the process started (where /proc tells): a pid the system
 * has since given to another program is not taken for the run.
 */
export function liveRunIn(outDir: string): number | undefined {
  const recorded = readPidFile(outDir);
  return running(recorded) ? recorded.pid : undefined;
}

/** The process live.pid names still runs, and is the one that wrote it (same start, where /proc tells). */
function running({ pid, start }: { pid: number; start?: string }): boolean {
  if (Number.isNaN(pid) || !processAlive(pid)) return false;
  const now = start === undefined ? undefined : processStart(pid);
  return now === undefined || now === start;
}

function readPidFile(outDir: string): { pid: number; start?: string } {
  const file = join(outDir, PID_FILE);
  let text: string;
  try {
    text = Buffer.from(readDataBytes(file, { bytes: 64, of: 'the pid file alpha live writes' })).toString('utf8');
  } catch (err) {
    if (err instanceof DataFileMissing) return { pid: Number.NaN };
    if (err instanceof DataError) throw new AlphaError(`${err.message}; expected the pid file alpha live writes`);
    throw err;
  }
  const m = /^\s*(\d{1,10})(?:[ \t]+(\d{1,20}))?\s*$/.exec(text);
  const pid = Number(m?.[1]);
  if (!m || !Number.isSafeInteger(pid) || pid <= 0)
    throw new AlphaError(`${file}: not a process id (and its start); expected the pid file alpha live writes`);
  return m[2] === undefined ? { pid } : { pid, start: m[2] };
}

/** A reason as one short line of printable text. */
export function cleanReason(text: string): string {
  const line = text
    .replace(/[^\P{C}]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return line.length > MAX_REASON ? `${line.slice(0, MAX_REASON)}…` : line;
}

/**
 * `alpha kill OUT`: asks the live run writing OUT to halt; resolves with its pid once the run took
 * the request, or throws an AlphaError (no run there, not running, did not answer in `timeoutMs`).
 */
export async function requestHalt(outDir: string, reason: string, timeoutMs = 5000): Promise<number> {
  const recorded = readPidFile(outDir);
  const pid = recorded.pid;
  if (Number.isNaN(pid))
    throw new AlphaError(`${outDir}: no live run is writing this folder (no ${PID_FILE}); give the --out of a running alpha live`);
  if (!running(recorded)) throw new AlphaError(`${outDir}: the live run (pid ${pid}) is not running any more`);
  const file = join(outDir, KILL_FILE);
  writeFileAtomically('alpha kill', file, new TextEncoder().encode(JSON.stringify({ reason: cleanReason(reason) })), { ownFolder: true });
  const deadline = Date.now() + timeoutMs;
  while (existsSync(file)) {
    if (Date.now() > deadline) {
      rmSync(file, { force: true });
      throw new AlphaError(`${outDir}: the live run (pid ${pid}) did not take the halt within ${timeoutMs / 1000} s`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return pid;
}
