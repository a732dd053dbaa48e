import { describe, expect, it } from 'vitest';
import { oneLine, parseJsonText, repeatedKey } from '../../../lib/core/json-text.ts';

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

  it('refuses a key given twice in one object, naming the line, the key and where the object is', () => {
    expect(parseJsonText('{"a":1,\n"b":{"c":[{"x":1},{"x":2,"y":3,\n"x":4}]}}')).toEqual({
      error: 'line 3: key "x" is given twice in one object (at $.b.c[1]); give each key once',
    });
    // An escape that spells the same key is the same key.
    expect(repeatedKey('{"a":1,"\\u0061":2}')).toMatch(/key "a" is given twice/);
    // A key with a line break is written escaped, on one line.
    expect(repeatedKey('{"a\\n":1,"a\\n":2}')).toBe('line 1: key "a\\n" is given twice in one object (at $); give each key once');
  });

  it('takes the same key in different objects', () => {
    expect(parseJsonText('[{"a":1},{"a":2}]')).toEqual({ value: [{ a: 1 }, { a: 2 }] });
    expect(parseJsonText('{"a":{"b":1},"c":{"b":2}}')).toEqual({ value: { a: { b: 1 }, c: { b: 2 } } });
    expect(repeatedKey('{"a":1}')).toBeUndefined();
    expect(repeatedKey('[1,2,3]')).toBeUndefined();
  });
});
