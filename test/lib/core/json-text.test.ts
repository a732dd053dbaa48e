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

  it('takes any depth JSON.parse takes (a recursive scan overflowed the stack at 5,000 levels), and finds a key repeated deep down', () => {
    const depth = 20_000;
    const arrays = `${'['.repeat(depth)}${']'.repeat(depth)}`;
    expect('value' in parseJsonText(`{"a":${arrays},"b":1}`)).toBe(true);
    const objects = `${'{"k":'.repeat(depth)}1${'}'.repeat(depth)}`;
    expect('value' in parseJsonText(`{"a":${objects},"b":1}`)).toBe(true);
    const twice = `${'{"k":'.repeat(depth)}{"x":1,"x":2}${'}'.repeat(depth)}`;
    // The path is cut to a line's length.
    expect(repeatedKey(twice)).toMatch(/^line 1: key "x" is given twice in one object \(at \$(\.k){100,}…\); give each key once$/);
    // Array indices count the values before, objects included.
    expect(repeatedKey('{"a":[{"k":1},[2,{"y":1,"y":2}]]}')).toBe(
      'line 1: key "y" is given twice in one object (at $.a[1][1]); give each key once',
    );
  });
});
