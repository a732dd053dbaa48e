/**
 * What a command makes and removes as it ends (a temporary folder, an output's staging folder and
 * lock) also goes when a signal ends it: SIGINT (Ctrl-C), SIGTERM and SIGHUP end a Node process
 * without running its `finally` blocks, and an interrupted `alpha data ingest --format itch` left
 * 146 MB of Parquet and spilled rows under /tmp, in a folder of a random name nothing ever removed.
 * Likewise what must be closed with the broker before the process goes (a Kafka consumer leaving its
 * group: killed, its member held the group for the session timeout, and the next run in the group
 * waited or was refused): closed, for at most {@link CLOSE_ON_SIGNAL_MS}, before the process ends by
 * the signal.
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
/** How long the closers may take once a signal came; a second signal ends the process at once. */
export const CLOSE_ON_SIGNAL_MS = 3_000;
const paths = new Set<string>();
const closers = new Set<() => Promise<unknown>>();
let listening = false;
let ending: NodeJS.Signals | undefined;

function listen(): void {
  if (listening) return;
  listening = true;
  for (const s of SIGNALS) process.on(s, onSignal);
}

/** Removes `path` (a file or a folder) if a signal ends the process; the function returned forgets it. */
export function removedOnSignal(path: string): () => void {
  paths.add(path);
  listen();
  return () => {
    paths.delete(path);
  };
}

/** Awaits `close` (at most CLOSE_ON_SIGNAL_MS) if a signal ends the process; the function returned forgets it. */
export function closedOnSignal(close: () => Promise<unknown>): () => void {
  closers.add(close);
  listen();
  return () => {
    closers.delete(close);
  };
}

/**
 * The signal ending the process, while its closers run: the command's work then fails as they close
 * what it uses, and that failure is not the command's to report (the process ends by the signal).
 */
export function endingBySignal(): NodeJS.Signals | undefined {
  return ending;
}

function onSignal(signal: NodeJS.Signals): void {
  // Another part of the command handles this signal (a live run stops its graph, model train passes it
  // on to Python): that part ends the command, and the finally blocks remove what they made.
  if (process.listenerCount(signal) > 1) return;
  ending = signal;
  // Without a listener the signal's default action applies again: a second Ctrl-C ends the process at once.
  for (const s of SIGNALS) process.off(s, onSignal);
  const closing = [...closers];
  closers.clear();
  let ended = false;
  const end = (): void => {
    if (ended) return;
    ended = true;
    for (const p of paths) {
      try {
        rmSync(p, { recursive: true, force: true });
      } catch {
        // Ending as the signal asks matters more than a leftover.
      }
    }
    paths.clear();
    // The process ends by the signal (exit 128 + n to a shell).
    process.kill(process.pid, signal);
  };
  if (closing.length === 0) {
    end();
    return;
  }
  setTimeout(end, CLOSE_ON_SIGNAL_MS);
  void Promise.allSettled(closing.map((c) => c())).then(end);
}
