import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkExamples, extractExamples, formatProblem } from '../../scripts/check-examples.ts';

const root = new URL('../../', import.meta.url).pathname;

describe('@example blocks (scripts/check-examples.ts)', () => {
  it('every example in lib/, operators/, pipelines/ and native/ type-checks', () => {
    const { examples, problems } = checkExamples();
    expect(examples.length).toBeGreaterThan(5);
    expect(problems.map(formatProblem)).toEqual([]);
  });

  it('extracts each example with the source line of every code line, fences and other tags left out', () => {
    const text = readFileSync(new URL('fixtures/examples.ts', import.meta.url), 'utf8');
    const examples = extractExamples('fixtures/examples.ts', text);
    expect(examples.map((e) => ({ line: e.line, code: e.code, lines: e.lines }))).toEqual([
      { line: 5, code: 'twice(2); // 4', lines: [6] },
      { line: 14, code: "shout('a').length; // 1", lines: [16] },
      { line: 18, code: 'shout(1);', lines: [19] },
      // the ```sh block (line 20) is not TypeScript
      {
        line: 33,
        code: "import { twice as double } from './examples.ts';\ndeclare const p: Pair;\nconst sum: string = double(p.a) + p.b;",
        lines: [34, 35, 36],
      },
    ]);
  });

  it("names FILE:LINE of each broken example, with the module's exports in scope", () => {
    const { examples, problems } = checkExamples({ root, dirs: ['test/docs/fixtures'] });
    expect(examples).toHaveLength(4);
    expect(problems.map(formatProblem)).toEqual([
      "test/docs/fixtures/examples.ts:19: TS2345: Argument of type 'number' is not assignable to parameter of type 'string'.",
      "test/docs/fixtures/examples.ts:36: TS2322: Type 'number' is not assignable to type 'string'.",
    ]);
  });
});
