/**
 * What a command makes and removes as it ends (a temporary folder, an output's staging folder and
 * lock) also goes when a signal ends it: SIGINT (Ctrl-C), SIGTERM and SIGHUP end a Node process
 * without running its `finally` blocks, and an interrupted `alpha data ingest --format itch` left
 * 146 MB of Parquet and spilled rows under /tmp, in a folder of a random name nothing ever removed.
 *
 * @example
 * import { mkdtempSync, rmSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * const dir = mkdtempSync(join(tmpdir(), 'alpha-x-'));
 * const forget = removedOnSignal(dir);
 * try {
 *   // the command's work, in dir
 * } finally {
 *   rmSync(dir, { recursive: true, force: true });
 *   forget();
 * }
 */
import { rmSync } from 'node:fs';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const paths = new Set<string>();
let listening = false;

/** Removes `path` (a file or a folder) if a signal ends the process; the function returned forgets it. */
export function removedOnSignal(path: string): () => void {
  paths.add(path);
  if (!listening) {
    listening = true;
    for (const s of SIGNALS) process.on(s, onSignal);
  }
  return () => {
    paths.delete(path);
  };
}

function onSignal(signal: NodeJS.Signals): void {
  // Another part of the command handles this signal (a live run stops its graph, model train passes it
  // on to Python): that part ends the command, and the finally blocks remove what they made.
  if (process.listenerCount(signal) > 1) return;
  for (const p of paths) {
    try {
      rmSync(p, { recursive: true, force: true });
    } catch {
      // Ending as the signal asks matters more than a leftover.
    }
  }
  paths.clear();
  for (const s of SIGNALS) process.off(s, onSignal);
  // Without a listener the signal's default action applies again: the process ends by it (exit 128 + n to a shell).
  process.kill(process.pid, signal);
}
