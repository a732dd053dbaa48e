import { describe, expect, it } from 'vitest';
import { oneLine, parseJsonText } from '../../../lib/core/json-text.ts';

describe('parseJsonText', () => {
  it('parses JSON', () => {
    expect(parseJsonText('{"a":[1,2]}')).toEqual({ value: { a: [1, 2] } });
  });

  it("gives the reason as one line, whatever the text's line breaks", () => {
    const got = parseJsonText('{\n"a":\n x\r\nalpha: all good\t');
    expect('error' in got).toBe(true);
    const error = (got as { error: string }).error;
    expect(error).not.toMatch(/[\r\n\t]/);
    // The quoted text is still there, its breaks written out (V8's message quotes the start of the text).
    expect(error).toContain('\\nalpha: ');
  });

  it('cuts a long reason', () => {
    expect(oneLine('x'.repeat(10_000))).toHaveLength(301);
    expect(oneLine('a\nb\rc\td')).toBe('a\\nb\\rc\\td');
  });
});
