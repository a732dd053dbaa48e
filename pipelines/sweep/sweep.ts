/**
 * `alpha sweep`: runs a topology once per point of a parameter grid, in parallel workers, and writes
 * one table of the runs' figures. The grid and the data folder are checked before any run starts;
 * each point is a backtest of its own (its folder under points/, as `alpha backtest --set …` would
 * write it), so its figures are those of a single run with the same params, whichever worker ran it.
 * A point that fails is reported and the others go on. The output folder is written atomically
 * (pipelines/io/output-folder.ts): interrupted, it is left as it was.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { AlphaError } from '../../lib/core/errors.ts';
import type { AnySpec } from '../../operators/sdk/spec.ts';
import { manifestWindow, readManifest } from '../data/manifest.ts';
import { openOutput, runInputs } from '../io/output-folder.ts';
import { DEFAULT_RUN_LAKE } from '../io/lake-dataset.ts';
import { writeFileAtomically } from '../io/write-file.ts';
import { TopologyError } from '../topology/problems.ts';
import type { Axis } from './grid.ts';
import { runPool, type WorkerKind } from './pool.ts';
import type { RunPoint, WorkerReply } from './protocol.ts';
import { type PointResult, sweepParquet } from './table.ts';
import { planSweep } from './validate-grid.ts';

export interface SweepOptions {
  topologyFile: string;
  /** `--grid NODE.PARAM=v1,v2,…` flags, one per axis. */
  grid: readonly string[];
  /** Overrides every point shares (`--set`). */
  sets?: readonly string[];
  /** Workers running at once (default: the machine's cores, at most one per point). */
  jobs?: number;
  outDir: string;
  overwrite?: boolean;
  dataDir?: string;
  /** The lake folder that replay sources with `store: lake` read (as `alpha backtest --lake`). */
  lakeDir?: string;
  from?: string;
  to?: string;
  workers?: WorkerKind;
  specs: ReadonlyMap<string, AnySpec>;
  /** Told of each base override the grid replaces at every point (before any point runs). */
  onNote?: (text: string) => void;
  /** Told of each point as it ends, in the order they end. */
  onPoint?: (result: PointResult, finished: number, total: number) => void;
  /** Aborting it stops every worker and leaves the output folder as it was. */
  signal?: AbortSignal;
}

export interface SweepResult {
  axes: Axis[];
  /** In grid order. */
  results: PointResult[];
  jobs: number;
  /** Wall time from the first worker's start to the table written. */
  seconds: number;
  /** The output folder (absolute). */
  out: string;
}

/** The most workers a sweep may start. */
export const MAX_JOBS = 64;

export async function runSweep(o: SweepOptions): Promise<SweepResult> {
  const sets = o.sets ?? [];
  const plan = planSweep(o.topologyFile, sets, o.grid, o.specs);
  for (const note of plan.overridden) o.onNote?.(note);
  if (o.jobs !== undefined && (!Number.isInteger(o.jobs) || o.jobs < 1 || o.jobs > MAX_JOBS))
    throw new AlphaError(`--jobs is ${o.jobs}: expected a whole number of workers from 1 to ${MAX_JOBS}`);
  const dataDir = o.dataDir ?? plan.topology.data;
  if (!dataDir)
    throw new TopologyError([
      { file: o.topologyFile, line: 1, col: 1, message: 'no data folder', hint: 'pass --data DIR or set "data:" in the topology' },
    ]);
  // The data folder and the window, checked once here rather than failing every point.
  manifestWindow(dataDir, readManifest(dataDir), o.from, o.to);
  const jobs = Math.min(o.jobs ?? availableParallelism(), plan.points.length);
  const output = openOutput(o.outDir, {
    overwrite: o.overwrite ?? false,
    holder: 'alpha sweep',
    inputs: runInputs(o.topologyFile, dataDir, plan.topology, o.lakeDir ?? DEFAULT_RUN_LAKE),
  });
  const started = process.hrtime.bigint();
  try {
    const digits = String(plan.points.length - 1).length;
    const tasks: RunPoint[] = plan.points.map((p) => ({
      kind: 'run',
      index: p.index,
      topologyFile: o.topologyFile,
      sets: [...sets, ...p.sets],
      outDir: join(output.dir, 'points', String(p.index).padStart(digits, '0')),
      dataDir,
      ...(o.lakeDir !== undefined ? { lakeDir: o.lakeDir } : {}),
      ...(o.from !== undefined ? { from: o.from } : {}),
      ...(o.to !== undefined ? { to: o.to } : {}),
    }));
    const results: (PointResult | undefined)[] = plan.points.map(() => undefined);
    let finished = 0;
    const onReply = (r: WorkerReply): void => {
      const point = plan.points[r.index]!;
      const result: PointResult = {
        point,
        outcome: r.kind === 'done' ? { ok: true, summary: r.summary } : { ok: false, error: output.named(r.message) },
      };
      results[r.index] = result;
      o.onPoint?.(result, ++finished, plan.points.length);
    };
    const pool = runPool(tasks, jobs, o.workers ?? 'process', onReply);
    const abort = (): void => pool.stop();
    o.signal?.addEventListener('abort', abort);
    try {
      await pool.done;
    } finally {
      o.signal?.removeEventListener('abort', abort);
    }
    if (o.signal?.aborted)
      throw new AlphaError(`interrupted (${String(o.signal.reason ?? 'aborted')}) after ${finished} of ${plan.points.length} points`);
    const complete = results.filter((r): r is PointResult => r !== undefined);
    if (complete.length !== results.length)
      throw new AlphaError(`${results.length - complete.length} point(s) got no answer from a worker`);
    writeFileAtomically('--out', join(output.dir, 'sweep.parquet'), sweepParquet(plan.axes, complete));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    output.commit();
    return { axes: plan.axes, results: complete, jobs, seconds, out: output.out };
  } catch (err) {
    throw output.abort(err);
  }
}
