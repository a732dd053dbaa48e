/**
 * The grid of `alpha sweep`: each `--grid NODE.PARAM=v1,v2,…` flag is one axis, and the points are
 * every combination of one value per axis, in a fixed order (the last axis varies fastest). Values
 * are YAML, as `--set` takes them; commas inside brackets, braces or quotes do not split a value,
 * so `--grid volatility.windows=[10,30],[20,60]` has two values. Parsing here is syntax only; what
 * the topology and the operators accept is checked by validate-grid.ts.
 *
 * @example
 * const { axes } = parseGrid(['sizing.gamma=500,1000', 'broker.fee_bps=0.5,1']);
 * gridPoints(axes).map((p) => p.sets); // [['sizing.gamma=500', 'broker.fee_bps=0.5'], …] (4 points)
 */

/** One `--grid` flag: a node's param and the values it takes. */
export interface Axis {
  /** The flag as given (after `--grid`), for messages. */
  flag: string;
  node: string;
  /** The param's path inside the node's params: `gamma`, or `constraints.gross`. */
  param: string;
  /** The values as written (YAML text). */
  values: string[];
}

/** One point of the grid: its index, and one `NODE.PARAM=VALUE` override per axis. */
export interface GridPoint {
  index: number;
  /** The value of each axis (YAML text), in axis order. */
  values: string[];
  /** The overrides that make this point, as `--set` takes them. */
  sets: string[];
}

/** The most points one sweep may have. */
export const MAX_POINTS = 1000;
/** The most values one axis may have, and the longest a flag may be. */
const MAX_VALUES = 1000;
const MAX_FLAG_CHARS = 10_000;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The axes of the flags, and every problem found in them (all at once). */
export function parseGrid(flags: readonly string[]): { axes: Axis[]; problems: string[] } {
  const axes: Axis[] = [];
  const problems: string[] = [];
  const seen = new Map<string, string>();
  for (const flag of flags) {
    const where = `--grid ${show(flag)}`;
    if (flag.length > MAX_FLAG_CHARS) {
      problems.push(`${where.slice(0, 60)}…: ${flag.length} characters, expected at most ${MAX_FLAG_CHARS}`);
      continue;
    }
    const eq = flag.indexOf('=');
    const target = eq < 0 ? flag : flag.slice(0, eq);
    const dot = target.indexOf('.');
    if (eq < 0 || dot < 0) {
      problems.push(`${where}: expected NODE.PARAM=v1,v2,… (e.g. --grid sizing.gamma=500,1000,2000)`);
      continue;
    }
    const node = target.slice(0, dot);
    const param = target.slice(dot + 1);
    const badName = [node, ...param.split('.')].find((part) => !IDENTIFIER.test(part));
    if (badName !== undefined) {
      problems.push(`${where}: "${show(badName)}" is not a name, expected NODE.PARAM with identifiers (letters, digits, _)`);
      continue;
    }
    const key = `${node}.${param}`;
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      problems.push(
        `${where}: ${key} is already an axis (--grid ${show(earlier)}), expected each NODE.PARAM once: list all its values in one flag`,
      );
      continue;
    }
    seen.set(key, flag);
    const split = splitValues(flag.slice(eq + 1));
    if (typeof split === 'string') {
      problems.push(`${where}: ${split}`);
      continue;
    }
    const empty = split.findIndex((v) => v.trim() === '');
    if (empty >= 0) {
      problems.push(`${where}: value ${empty + 1} of ${split.length} is empty, expected a comma-separated list of values`);
      continue;
    }
    if (split.length > MAX_VALUES) {
      problems.push(`${where}: ${split.length} values, expected at most ${MAX_VALUES}`);
      continue;
    }
    const twice = split.find((v, i) => split.indexOf(v) !== i);
    if (twice !== undefined) {
      problems.push(`${where}: the value "${show(twice)}" is listed twice, expected each value once (a point is run once)`);
      continue;
    }
    axes.push({ flag, node, param, values: split });
  }
  if (problems.length === 0) {
    const count = axes.reduce((n, a) => n * a.values.length, 1);
    if (count > MAX_POINTS)
      problems.push(
        `--grid: ${axes.map((a) => a.values.length).join(' × ')} = ${count} points, expected at most ${MAX_POINTS}: fewer values or axes`,
      );
  }
  return { axes, problems };
}

/** Every point of the grid, the last axis varying fastest. */
export function gridPoints(axes: readonly Axis[]): GridPoint[] {
  let combos: string[][] = [[]];
  for (const axis of axes) combos = combos.flatMap((c) => axis.values.map((v) => [...c, v]));
  return combos.map((values, index) => ({
    index,
    values,
    sets: values.map((v, i) => `${axes[i]!.node}.${axes[i]!.param}=${v}`),
  }));
}

/**
 * The values of a list, split at commas outside brackets, braces and quotes; a string saying what
 * is wrong when the brackets or quotes do not close.
 */
export function splitValues(text: string): string[] | string {
  const values: string[] = [];
  const closers: string[] = [];
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote !== undefined) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '[') closers.push(']');
    else if (c === '{') closers.push('}');
    else if (c === ']' || c === '}') {
      if (closers.pop() !== c) return `unbalanced "${c}" at character ${i + 1}, expected values like 1,2 or [1,2],[3,4]`;
    } else if (c === ',' && closers.length === 0) {
      values.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (quote !== undefined) return `a ${quote} quote is not closed, expected values like "a,b",c`;
  if (closers.length > 0) return `a bracket is not closed (missing "${closers.at(-1)}"), expected values like [1,2],[3,4]`;
  values.push(text.slice(start));
  return values;
}

/** A flag or value as it can be printed on one line: control characters escaped, long text cut. */
export function show(text: string): string {
  const escaped = JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text).slice(1, -1);
  return escaped;
}
