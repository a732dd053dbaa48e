/**
 * Checks a sweep's grid against its topology before anything runs: each axis names a node of the
 * topology and a param of that node's operator, each value passes the operator's own param schema
 * (through the topology's validation, exactly as `--set NODE.PARAM=VALUE` would), and so does each
 * point's combination of values. Every problem is reported at once, one line each.
 */
import { z } from 'zod';
import { AlphaError } from '../../lib/core/errors.ts';
import type { AnySpec } from '../../operators/sdk/spec.ts';
import { loadTopology } from '../topology/load.ts';
import type { Topology } from '../topology/model.ts';
import { closest, formatProblem, type Problem, TopologyError } from '../topology/problems.ts';
import { validateTopology } from '../topology/validate.ts';
import { type Axis, type GridPoint, gridPoints, parseGrid, show } from './grid.ts';

/**
 * Problems of a sweep's grid, each printed as its own `alpha: …` line: one problem is one line, as any
 * refusal; several are counted on a last line, as a topology's are (report-error.ts).
 */
export class GridError extends AlphaError {
  override readonly name = 'GridError';
  constructor(readonly problems: readonly string[]) {
    super(
      problems.length === 1
        ? `${problems[0]} (nothing was run)`
        : `${problems.join('\nalpha: ')}\nalpha: refusing to sweep: ${problems.length} problems in the grid, nothing was run`,
    );
  }
}

export interface SweepPlan {
  /** The topology with the base overrides (`--set`), as a single run would resolve it. */
  topology: Topology;
  axes: Axis[];
  points: GridPoint[];
  /** A base override (`--set`) of a param an axis sweeps, or of a part of it: the grid's values replace it at every point. */
  overridden: string[];
}

/**
 * The plan of a sweep of `file` with the base overrides `sets` and the `--grid` flags, or a
 * TopologyError (the topology itself is invalid) or a GridError (every problem of the grid).
 */
export function planSweep(file: string, sets: readonly string[], flags: readonly string[], specs: ReadonlyMap<string, AnySpec>): SweepPlan {
  const { topology, problems: baseProblems } = validateTopology(loadTopology(file, sets), specs);
  if (!topology) throw new TopologyError(baseProblems);
  const { axes, problems } = parseGrid(flags);
  if (flags.length === 0) problems.push('--grid: none given, expected at least one --grid NODE.PARAM=v1,v2,…');
  const nodes = new Map(topology.nodes.map((n) => [n.name, n]));
  const usable: Axis[] = [];
  for (const axis of axes) {
    const where = `--grid ${show(axis.flag)}`;
    const node = nodes.get(axis.node);
    if (!node) {
      const near = closest(axis.node, nodes.keys());
      problems.push(
        `${where}: no node "${axis.node}" in ${file}${near ? ` (did you mean "${near}"?)` : ''}, expected one of: ${[...nodes.keys()].join(', ')}`,
      );
      continue;
    }
    const known = node.spec.params instanceof z.ZodObject ? Object.keys(node.spec.params.shape) : [];
    const top = axis.param.split('.')[0]!;
    if (!known.includes(top)) {
      const near = closest(top, known);
      problems.push(
        `${where}: node "${node.name}" (${node.type}) has no param "${top}"${near ? ` (did you mean "${near}"?)` : ''}, expected one of: ${known.join(', ') || 'none (it takes no params)'}`,
      );
      continue;
    }
    let valuesOk = true;
    for (const value of axis.values) {
      const set = `${axis.node}.${axis.param}=${value}`;
      const lines = valueProblems(file, sets, [set], specs);
      if (lines.length > 0) valuesOk = false;
      for (const line of lines) problems.push(`${where}: value ${show(value)}: ${line}`);
    }
    if (valuesOk) usable.push(axis);
  }
  // Each value passed on its own; a combination can still fail a rule across params (min < max, …).
  if (problems.length === 0 && axes.length > 1) {
    for (const point of gridPoints(axes)) {
      const lines = valueProblems(file, sets, point.sets, specs);
      for (const line of lines) problems.push(`--grid point ${point.index} (${point.sets.join(', ')}): ${line}`);
      if (problems.length >= 50) {
        problems.push('--grid: stopped after 50 problems');
        break;
      }
    }
  }
  if (problems.length > 0) throw new GridError(problems);
  // Not refused: a base value still counts when each value of another axis is checked on its own.
  const overridden: string[] = [];
  for (const axis of usable) {
    const path = `${axis.node}.${axis.param}`;
    for (const set of sets) {
      const key = set.slice(0, Math.max(0, set.indexOf('=')));
      if (key === path || key.startsWith(`${path}.`))
        overridden.push(`--set ${show(set)} is replaced at every point by --grid ${show(axis.flag)}: no point runs it`);
    }
  }
  return { topology, axes: usable, points: gridPoints(usable), overridden };
}

/** The problems of the topology with `extra` overrides after the base ones, each as one line. */
function valueProblems(file: string, sets: readonly string[], extra: readonly string[], specs: ReadonlyMap<string, AnySpec>): string[] {
  const { topology, problems } = validateTopology(loadTopology(file, [...sets, ...extra]), specs);
  return topology ? [] : problems.map(problemLine);
}

/** A problem without its location when it is one of the overrides (the grid flag says where). */
function problemLine(p: Problem): string {
  if (!p.file.startsWith('--set ')) return formatProblem(p);
  return `${p.node !== undefined ? `node "${p.node}": ` : ''}${p.message}${p.hint ? ` — ${p.hint}` : ''}`;
}
