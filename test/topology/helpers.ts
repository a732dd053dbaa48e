/** Shared helpers of the topology tests: validate an inline YAML text and locate positions in it. */
import { expect } from 'vitest';
import { registry } from '../../operators/index.ts';
import { loadTopology } from '../../pipelines/topology/load.ts';
import type { Problem } from '../../pipelines/topology/problems.ts';
import { validateTopology } from '../../pipelines/topology/validate.ts';

/** Joins lines into a YAML text, so that argument i is line i + 1. */
export function yaml(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

/** A topology text whose first node is `quotes` (a source.replay) and whose next lines are `lines`. */
export function afterQuotes(...lines: string[]): string {
  return yaml('nodes:', '  - name: quotes', '    type: source.replay', ...lines);
}

/** quotes, then `bars` (feature.bars on quotes), then `lines`. */
export function afterBars(...lines: string[]): string {
  return afterQuotes('  - name: bars', '    type: feature.bars', '    inputs: quotes', ...lines);
}

/** quotes → bars, then `returns` (feature.lagged-returns on bars), then `lines`. */
export function afterReturns(...lines: string[]): string {
  return afterBars('  - name: returns', '    type: feature.lagged-returns', '    inputs: bars', ...lines);
}

/** quotes → bars → returns, then `snapshot` (feature.cross-section of returns, priced by bars), then `lines`. */
export function afterSnapshot(...lines: string[]): string {
  return afterReturns('  - name: snapshot', '    type: feature.cross-section', '    inputs: { features: [returns], bars: bars }', ...lines);
}

export function validate(text: string, sets: readonly string[] = [], file = 'bad.yaml'): ReturnType<typeof validateTopology> {
  return validateTopology(loadTopology(file, sets, text), registry);
}

/** The single problem of a text; fails (listing them all) when there are none or several. */
export function onlyProblem(text: string, sets: readonly string[] = []): Problem {
  const { topology, problems } = validate(text, sets);
  expect(topology).toBeUndefined();
  expect(problems, JSON.stringify(problems, null, 2)).toHaveLength(1);
  return problems[0]!;
}

/**
 * 1-based position of the `nth` occurrence of `needle` on line `line` of `text`. Computed by plain
 * string search, independently of the YAML parser the validator uses.
 */
export function locate(text: string, line: number, needle: string, nth = 1): { line: number; col: number } {
  const lineText = text.split('\n')[line - 1];
  if (lineText === undefined) throw new Error(`the text has no line ${line}`);
  let index = -1;
  for (let i = 0; i < nth; i++) {
    index = lineText.indexOf(needle, index + 1);
    if (index < 0) throw new Error(`"${needle}" (occurrence ${nth}) is not on line ${line}: ${lineText}`);
  }
  return { line, col: index + 1 };
}

/** 1-based number of the first line of `text` that contains `needle`, after line `after`. */
export function lineOf(text: string, needle: string, after = 0): number {
  const index = text.split('\n').findIndex((l, i) => i >= after && l.includes(needle));
  if (index < 0) throw new Error(`no line contains ${needle}`);
  return index + 1;
}

/** 1-based number of the one line of `text` that contains `needle`; fails when none or several do. */
export function onlyLineOf(text: string, needle: string): number {
  const lines = text.split('\n').flatMap((l, i) => (l.includes(needle) ? [i + 1] : []));
  if (lines.length !== 1) throw new Error(`${lines.length} lines contain "${needle}" (lines ${lines.join(', ')}); expected exactly one`);
  return lines[0]!;
}

export function where(p: Problem): { file: string; line: number; col: number } {
  return { file: p.file, line: p.line, col: p.col };
}
