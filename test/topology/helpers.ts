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

export function where(p: Problem): { file: string; line: number; col: number } {
  return { file: p.file, line: p.line, col: p.col };
}
