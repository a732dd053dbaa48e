/**
 * A problem found in a topology, located in its file. Printed as
 * `FILE:LINE:COL node "NAME": what is wrong — what would be accepted`.
 */
import { AlphaError } from '../../lib/core/errors.ts';
import { printableLine } from '../../lib/core/printable.ts';

export interface Problem {
  file: string;
  line: number;
  col: number;
  node?: string;
  message: string;
  hint?: string;
}

export function formatProblem(p: Problem): string {
  // A problem of a --set flag is located by the flag itself.
  const where = p.file.startsWith('--set ') ? p.file : `${p.file}:${p.line}:${p.col}`;
  const node = p.node !== undefined ? ` node "${p.node}"` : '';
  // One line, whatever the file's keys and values hold (a key with a line break printed a line of its own).
  return printableLine(`${where}${node}: ${p.message}${p.hint ? ` — ${p.hint}` : ''}`);
}

export class TopologyError extends AlphaError {
  override readonly name = 'TopologyError';
  constructor(readonly problems: readonly Problem[]) {
    super(`invalid topology:\n${problems.map(formatProblem).join('\n')}`);
  }
}

/** Closest candidate by edit distance, when it is close enough to be a plausible typo. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}
