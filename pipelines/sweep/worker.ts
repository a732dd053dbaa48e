/**
 * The worker side of `alpha sweep`: runs the points it is sent, one at a time, each as a backtest of
 * its own, and answers with the summary or the error. Data files are decoded once per worker and kept
 * (pipelines/io/decoded-cache.ts), so only the first point a worker runs reads them. A child process
 * exits when its parent goes away (the IPC channel closes), so a killed sweep leaves no worker behind.
 */
import { parentPort } from 'node:worker_threads';
import { AlphaError } from '../../lib/core/errors.ts';
import { keepDecodedFiles } from '../io/decoded-cache.ts';
import { runBacktest } from '../runtime/backtest.ts';
import { formatProblem, TopologyError } from '../topology/problems.ts';
import type { RunPoint, WorkerReply } from './protocol.ts';

export function serve(): void {
  keepDecodedFiles();
  const port = parentPort;
  const reply = (m: WorkerReply): void => {
    if (port) port.postMessage(m);
    else process.send?.(m);
  };
  let current: number | undefined;
  // Points arrive one at a time (the pool sends the next after the answer), so runs never overlap.
  const onMessage = (m: RunPoint): void => {
    current = m.index;
    void runPoint(m).then((r) => {
      current = undefined;
      reply(r);
    });
  };
  if (port) {
    port.on('message', onMessage);
    return;
  }
  process.on('message', onMessage);
  process.on('disconnect', () => process.exit(1));
  // Ctrl-C reaches the whole process group: the sweep stops its workers itself, so they wait for it.
  process.on('SIGINT', () => {});
  // An error outside the run's promise (a stream's subscriber, a timer) fails the point, and the
  // worker exits: its state is no longer known (the pool starts another).
  for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
    process.on(event, (err: unknown) => {
      const failed: WorkerReply = { kind: 'failed', index: current ?? -1, message: messageOf(err), fatal: true };
      if (current === undefined || !process.send?.(failed, undefined, undefined, () => process.exit(1))) process.exit(1);
    });
  }
}

async function runPoint(m: RunPoint): Promise<WorkerReply> {
  try {
    const summary = await runBacktest({
      topologyFile: m.topologyFile,
      sets: m.sets,
      outDir: m.outDir,
      ...(m.dataDir !== undefined ? { dataDir: m.dataDir } : {}),
      ...(m.lakeDir !== undefined ? { lakeDir: m.lakeDir } : {}),
      ...(m.from !== undefined ? { from: m.from } : {}),
      ...(m.to !== undefined ? { to: m.to } : {}),
    });
    return { kind: 'done', index: m.index, summary };
  } catch (err) {
    return { kind: 'failed', index: m.index, message: messageOf(err) };
  }
}

/**
 * The error as the CLI would print it after `alpha: ` (report-error.ts), less the sentence the
 * point's output folder adds about itself: that folder is inside the sweep's staging folder.
 */
function messageOf(err: unknown): string {
  if (err instanceof TopologyError) return err.problems.map(formatProblem).join('; ');
  const text = err instanceof AlphaError ? err.message : `unexpected error: ${err instanceof Error ? err.message : String(err)}`;
  return text.replace(/\n {2}\(--out [^\n]*\)$/, '');
}
