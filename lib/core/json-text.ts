/**
 * JSON text read from a file, parsed, with the reason it is not JSON as one short line. V8's message
 * quotes the start of the text it could not read as it is, newlines included, so a hostile file
 * (`{\n"a":\n x\nalpha: all good`) printed lines of its own choosing under the CLI's `alpha:` line.
 */
import { createScanner } from 'jsonc-parser';

const MAX_REASON = 300;

/**
 * JSON.parse keeps the last of a key given twice in one object without a word, where another reader
 * of the same file may keep the first (a Delta log that DuckDB also reads): such text is refused.
 */
export function parseJsonText(text: string): { value: unknown } | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (err) {
    return { error: oneLine(err instanceof Error ? err.message : String(err)) };
  }
  const twice = repeatedKey(text);
  return twice === undefined ? { value } : { error: twice };
}

/** jsonc-parser's token kinds used here (its SyntaxKind, a const enum that isolated modules cannot read). */
const TOKEN = { openBrace: 1, closeBrace: 2, openBracket: 3, closeBracket: 4, comma: 5, string: 10, end: 17 } as const;

/**
 * The first key given twice in one object of `text` (JSON that parses), as `line L: key "K" is given
 * twice in one object (at PATH)`, or undefined. jsonc-parser's scanner reads the tokens; the objects
 * open at each point are kept on a stack here, not in a recursion, so no depth that JSON.parse takes
 * overflows it (its parser and visit recurse: 5,000 levels did).
 */
export function repeatedKey(text: string): string | undefined {
  // Cheap exit: an object with one key or none, or no object at all, cannot repeat one.
  if (text.indexOf(',') < 0 || text.indexOf('{') < 0) return undefined;
  const scanner = createScanner(text, true);
  /** Per open object, its keys so far; per open array, null. */
  const keys: (Set<string> | null)[] = [];
  /** Per open level, the key (object) or index (array) of the value being read: the path. */
  const at: (string | number)[] = [];
  let previous = 0;
  for (let token = scanner.scan(); token !== TOKEN.end; previous = token, token = scanner.scan()) {
    const depth = keys.length - 1;
    if (token === TOKEN.openBrace || token === TOKEN.openBracket) {
      keys.push(token === TOKEN.openBrace ? new Set() : null);
      at.push(token === TOKEN.openBrace ? '' : 0);
    } else if (token === TOKEN.closeBrace || token === TOKEN.closeBracket) {
      keys.pop();
      at.pop();
    } else if (token === TOKEN.comma && depth >= 0 && keys[depth] === null) {
      at[depth] = (at[depth] as number) + 1;
    } else if (token === TOKEN.string && (previous === TOKEN.openBrace || previous === TOKEN.comma) && depth >= 0 && keys[depth]) {
      const name = scanner.getTokenValue();
      const seen = keys[depth]!;
      if (seen.has(name)) {
        const path = at
          .slice(0, depth)
          .map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`))
          .join('');
        const key = JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name);
        return `line ${scanner.getTokenStartLine() + 1}: key ${key} is given twice in one object (at $${oneLine(JSON.stringify(path).slice(1, -1))}); give each key once`;
      }
      seen.add(name);
      at[depth] = name;
    }
  }
  return undefined;
}

/** The same for a file's bytes, which must be UTF-8 (a byte that is not is the reason, not a U+FFFD). */
export function parseJsonBytes(bytes: Uint8Array): { value: unknown } | { error: string } {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (err) {
    return { error: oneLine(err instanceof Error ? err.message : String(err)) };
  }
  return parseJsonText(text);
}

/** `text` with line breaks and tabs written as \n, \r, \t, cut to about MAX_REASON characters. */
export function oneLine(text: string): string {
  const line = text.replace(/\r/g, '\\r').replace(/\n/g, '\\n').replace(/\t/g, '\\t');
  return line.length > MAX_REASON ? `${line.slice(0, MAX_REASON)}…` : line;
}
