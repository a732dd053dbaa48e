/**
 * The workers of `alpha sweep`: `jobs` child processes (or worker threads), each running one point
 * at a time and sent the next when it answers. A worker that dies while running a point (killed, out
 * of memory, a crash in native code) fails that point with what is known of its end, and a new worker
 * takes over the points left. `stop()` ends every worker at once (Ctrl-C).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import type { RunPoint, WorkerReply } from './protocol.ts';

/** Where the points run: child processes (the default) or worker threads of this process. */
export type WorkerKind = 'process' | 'thread';

const ENTRY = new URL('./worker-entry.mjs', import.meta.url);

/** One worker, whichever kind. */
interface Running {
  /** "process 1234" or "thread 2", for messages. */
  readonly name: string;
  send(m: RunPoint): void;
  /** Lets an idle worker go (it exits by itself). */
  release(): void;
  /** Ends the worker now, idle or not. */
  kill(): void;
}

export interface Pool {
  /** Resolves once every task has an answer (a reply, or its worker's death). */
  done: Promise<void>;
  /** Ends every worker now; `done` then resolves with the points not run left unanswered. */
  stop(): void;
  /** The process ids of the child processes running now (none for threads). */
  pids(): number[];
}

export function runPool(tasks: readonly RunPoint[], jobs: number, kind: WorkerKind, onReply: (r: WorkerReply) => void): Pool {
  const queue = [...tasks];
  const live = new Set<Running>();
  const children = new Set<ChildProcess>();
  let stopped = false;
  let finish!: () => void;
  const done = new Promise<void>((r) => {
    finish = r;
  });
  const settle = (): void => {
    if (live.size === 0 && (stopped || queue.length === 0)) finish();
  };

  const start = (): void => {
    if (stopped || queue.length === 0) {
      settle();
      return;
    }
    let task: RunPoint | undefined;
    let ended = false;
    const next = (w: Running): void => {
      task = stopped ? undefined : queue.shift();
      if (task) w.send(task);
      else w.release();
    };
    const onMessage = (w: Running, r: WorkerReply): void => {
      if (!task || r.index !== task.index) return;
      task = undefined;
      onReply(r);
      if (r.kind === 'failed' && r.fatal) {
        // The worker is on its way out: a fresh one takes the points left.
        w.kill();
        start();
      } else next(w);
    };
    const onEnd = (w: Running, how: string): void => {
      if (ended) return;
      ended = true;
      live.delete(w);
      if (task && !stopped) {
        onReply({ kind: 'failed', index: task.index, message: `its worker (${w.name}) ${how} while running it` });
        task = undefined;
        start(); // a fresh worker for the points left
      }
      settle();
    };
    const w = kind === 'process' ? startProcess(onMessage, onEnd, children) : startThread(onMessage, onEnd);
    live.add(w);
    next(w);
  };

  for (let i = 0; i < Math.min(jobs, queue.length); i++) start();
  settle();
  return {
    done,
    stop() {
      stopped = true;
      for (const w of live) w.kill();
    },
    pids: () => [...children].map((c) => c.pid).filter((p): p is number => p !== undefined),
  };
}

function startProcess(
  onMessage: (w: Running, r: WorkerReply) => void,
  onEnd: (w: Running, how: string) => void,
  children: Set<ChildProcess>,
): Running {
  // The worker registers tsx itself (worker-entry.mjs): no flags of this process are passed on.
  const child = fork(ENTRY, [], { execArgv: [], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  children.add(child);
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (s: string) => {
    stderr = (stderr + s).slice(-2000);
  });
  const w: Running = {
    name: `process ${child.pid}`,
    send: (m) => {
      child.send(m);
    },
    release: () => {
      if (child.connected) child.disconnect();
    },
    kill: () => {
      child.kill('SIGKILL');
    },
  };
  child.on('message', (r: WorkerReply) => onMessage(w, r));
  let exited = false;
  child.on('error', (err) => {
    // A send to a worker that was just killed fails (EPIPE) before its exit is seen: its exit says
    // what happened. Only a worker that never started, or does not exit, is reported by the error.
    if (child.pid === undefined) onEnd(w, `could not run (${err.message})`);
    else setTimeout(() => exited || onEnd(w, `could not run (${err.message})`), 2000).unref();
  });
  child.on('exit', (code, signal) => {
    exited = true;
    children.delete(child);
    const last = stderr.trim().split('\n').at(-1);
    onEnd(w, `${signal ? `was ended by ${signal}` : `exited with code ${code}`}${last ? ` (its last words: ${last})` : ''}`);
  });
  return w;
}

let threads = 0;

function startThread(onMessage: (w: Running, r: WorkerReply) => void, onEnd: (w: Running, how: string) => void): Running {
  const worker = new Worker(ENTRY);
  const w: Running = {
    name: `thread ${++threads}`,
    send: (m) => worker.postMessage(m),
    release: () => {
      void worker.terminate();
    },
    kill: () => {
      void worker.terminate();
    },
  };
  worker.on('message', (r: WorkerReply) => onMessage(w, r));
  worker.on('error', (err) => onEnd(w, `failed (${err.message})`));
  worker.on('exit', (code) => onEnd(w, `exited with code ${code}`));
  return w;
}
