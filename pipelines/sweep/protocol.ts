/** The messages between `alpha sweep` (pool.ts) and its workers (worker.ts). */
import type { BacktestSummary } from '../runtime/backtest.ts';

/** Run one point: a backtest of the topology with these overrides, into `outDir`. */
export interface RunPoint {
  kind: 'run';
  index: number;
  topologyFile: string;
  sets: string[];
  outDir: string;
  dataDir?: string;
  /** The lake folder that replay sources with `store: lake` read. */
  lakeDir?: string;
  from?: string;
  to?: string;
}

/** The point ran: its summary. */
export interface PointDone {
  kind: 'done';
  index: number;
  summary: BacktestSummary;
}

/** The point failed: the error, as `alpha:` would print it (without the prefix). */
export interface PointFailed {
  kind: 'failed';
  index: number;
  message: string;
  /** The worker is exiting (an error outside the run): send it nothing more. */
  fatal?: boolean;
}

export type WorkerReply = PointDone | PointFailed;
