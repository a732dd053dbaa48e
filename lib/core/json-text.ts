/**
 * JSON text read from a file, parsed, with the reason it is not JSON as one short line. V8's message
 * quotes the start of the text it could not read as it is, newlines included, so a hostile file
 * (`{\n"a":\n x\nalpha: all good`) printed lines of its own choosing under the CLI's `alpha:` line.
 */
import { visit } from 'jsonc-parser';

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

/**
 * The first key given twice in one object of `text` (JSON that parses), as `line L: key "K" is given
 * twice in one object (at PATH)`, or undefined. Scanned by jsonc-parser, about 3× JSON.parse's time.
 */
export function repeatedKey(text: string): string | undefined {
  // Cheap exit: an object with one key or none, or no object at all, cannot repeat one.
  if (text.indexOf(',') < 0 || text.indexOf('{') < 0) return undefined;
  const seen: Set<string>[] = [];
  let found: string | undefined;
  visit(
    text,
    {
      onObjectBegin: () => {
        seen.push(new Set());
        return found === undefined;
      },
      onObjectEnd: () => {
        seen.pop();
      },
      onObjectProperty: (name, _offset, _length, line, _column, pathSupplier) => {
        const keys = seen[seen.length - 1]!;
        if (found === undefined && keys.has(name)) {
          const path = pathSupplier()
            .map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`))
            .join('');
          const key = JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name);
          found = `line ${line + 1}: key ${key} is given twice in one object (at $${oneLine(path)}); give each key once`;
        }
        keys.add(name);
      },
    },
    { disallowComments: true },
  );
  return found;
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
